/**
 * `GET /openapi.json` describes every route of the app (compared with the app's own route table),
 * generated from the same zod schemas that validate requests; `/docs` renders it without any
 * external host.
 */
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app/create-app";
import { authHeaders } from "../helpers/auth";

const BASE = "https://api.test";

interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<string, unknown>;
        security?: unknown[];
        requestBody?: { content: Record<string, { schema: { $ref: string } }> };
      }
    >
  >;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    securitySchemes: Record<string, { type: string; scheme: string }>;
  };
}

async function getDoc(): Promise<Doc> {
  const res = await SELF.fetch(`${BASE}/openapi.json`, { headers: authHeaders() });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await res.json()) as Doc;
}

/** Hono's `/v1/runs/:id` and `/v1/models/:id{.+}` as OpenAPI templates. */
const template = (path: string): string => path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");

/** Every $ref anywhere in `value`. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document with bearer security and the error schema", async () => {
    const doc = await getDoc();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", properties: { error: { type: "object" } } });
    // Every reference resolves.
    for (const ref of refs(doc))
      expect(doc.components.schemas[ref.replace("#/components/schemas/", "")], ref).toBeDefined();
    // No JSON Schema dialect noise inside components.
    expect(JSON.stringify(doc.components.schemas)).not.toContain("$schema");
  });

  it("lists every route of the app, and only routes the app has (or static pages)", async () => {
    const doc = await getDoc();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const app = createApp();
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${template(r.path).replace(/(.)\/$/, "$1")}`),
    );
    expect(served.size).toBeGreaterThan(8);
    for (const route of served) expect(documented, `${route} is not in /openapi.json`).toContain(route);
    const staticPages = new Set(["GET /"]);
    for (const route of documented)
      expect(served.has(route) || staticPages.has(route), `${route} is documented but not served`).toBe(true);
    for (const path of [
      "/v1/runs",
      "/v1/runs/{id}",
      "/v1/runs/{id}/events",
      "/v1/runs/{id}/cancel",
      "/v1/chat/completions",
      "/v1/models",
      "/healthz",
      "/openapi.json",
      "/docs",
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it("documents request bodies from the zod schemas that validate them", async () => {
    const doc = await getDoc();
    expect(doc.paths["/v1/runs"]?.post?.requestBody?.content["application/json"]?.schema.$ref).toBe(
      "#/components/schemas/CreateRunRequest",
    );
    const chat = doc.components.schemas.ChatCompletionRequest as {
      properties: Record<string, Record<string, unknown>>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(chat.required).toEqual(["messages"]);
    expect(chat.additionalProperties).toBe(false);
    // null is accepted wherever OpenAI allows it ("not given").
    const temperature = chat.properties.temperature as { type?: unknown; minimum?: number; maximum?: number };
    expect(temperature).toMatchObject({ type: ["number", "null"], minimum: 0, maximum: 2 });
    expect(chat.properties.reasoning_format).toMatchObject({ enum: ["tagged", "split"], default: "tagged" });
    const run = doc.components.schemas.CreateRunRequest as { properties: Record<string, unknown>; required: string[] };
    expect(run.required).toEqual(["question"]);
    expect(Object.keys(run.properties)).toEqual(
      expect.arrayContaining(["model", "image", "question", "search", "sampling", "limits", "metadata"]),
    );
    // /v1 routes need a key; the service routes do not.
    expect(doc.paths["/v1/chat/completions"]?.post?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/healthz"]?.get?.security).toEqual([]);
  });
});

describe("GET /docs", () => {
  /** Absolute http(s) URLs in a text (the page must not load anything from another host). */
  const externalUrls = (text: string): string[] =>
    [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0]);

  it("answers a self-contained HTML page that renders /openapi.json", async () => {
    const bare = await SELF.fetch(`${BASE}/docs`, { redirect: "manual" });
    expect([301, 302, 307, 308]).toContain(bare.status);
    expect(new URL(bare.headers.get("Location") ?? "", BASE).pathname).toBe("/docs/");
    await bare.body?.cancel();

    const res = await SELF.fetch(`${BASE}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<title>API reference/);
    expect(externalUrls(html)).toEqual([]);

    // Every script and stylesheet it loads is ours, and references no other host either. (SELF
    // skips the assets layer that serves public/ before the Worker in production: read the files
    // from the ASSETS binding, as that layer does.)
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "").filter((a) => a !== "data:,"); // the empty favicon
    expect(assets).toEqual(expect.arrayContaining(["/docs/docs.js", "/docs/docs.css", "/openapi.json"]));
    for (const path of assets) {
      expect(path.startsWith("/"), path).toBe(true);
      const asset =
        path === "/openapi.json" ? await SELF.fetch(`${BASE}${path}`) : await env.ASSETS!.fetch(`${BASE}${path}`);
      expect(asset.status, path).toBe(200);
      expect(externalUrls(await asset.text()), path).toEqual([]);
    }
  });
});
