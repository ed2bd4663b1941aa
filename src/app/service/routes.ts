/**
 * Service routes: liveness, the API reference (`GET /openapi.json`, generated from the routes'
 * declarations, and the `/docs` page that renders it), and the embedded model's files. The docs
 * page and the playground are static files (public/), served by the assets layer before the
 * Worker runs; these routes answer only when it did not (the bare `/docs`, or no assets binding).
 */
import type { Context } from "hono";
import { z } from "zod";
import { listModels } from "../../inference/registry";
import { ApiError } from "../errors";
import { errors, json, register, type App } from "../openapi";
import type { AppEnv } from "../types";
import { openApiDocument } from "./document";

export const healthSchema = z
  .object({ ok: z.boolean(), models: z.array(z.string()) })
  .meta({ id: "Health", description: "Liveness, and the ids of the models configured here." });

const html = (description: string) => ({
  description,
  content: { "text/html": { schema: { type: "string" as const } } },
});

async function docsPage(c: Context<AppEnv>): Promise<Response> {
  if (!c.env.ASSETS)
    throw new ApiError(
      404,
      "not_found_error",
      "the docs page is not deployed here (no ASSETS binding); the API reference is at /openapi.json",
      { code: "route_not_found" },
    );
  return c.env.ASSETS.fetch(new Request(new URL("/docs/", c.req.url), { headers: c.req.raw.headers }));
}

/** The embedded model's files reach the Worker first (`run_worker_first`); public only when the deployment says so. */
async function modelFile(c: Context<AppEnv>): Promise<Response> {
  if (c.env.MODEL_SHARDS_PUBLIC !== "1" || !c.env.ASSETS)
    throw new ApiError(
      404,
      "not_found_error",
      'the model files are not public on this deployment (MODEL_SHARDS_PUBLIC is not "1")',
      { code: "route_not_found" },
    );
  return c.env.ASSETS.fetch(c.req.raw);
}

export function serviceRoutes(app: App): void {
  register(
    app,
    {
      method: "get",
      path: "/healthz",
      tags: ["service"],
      security: [],
      summary: "Liveness and the models configured",
      responses: { 200: json(healthSchema, "OK."), ...errors },
    },
    (c) => c.json({ ok: true, models: listModels(c.env).map((m) => m.id) }),
  );
  register(
    app,
    {
      method: "get",
      path: "/openapi.json",
      tags: ["service"],
      security: [],
      summary: "This document (OpenAPI 3.1)",
      responses: {
        200: { description: "OpenAPI 3.1.", content: { "application/json": { schema: { type: "object" } } } },
        ...errors,
      },
    },
    (c) => c.json(openApiDocument(app), 200, { "access-control-allow-origin": "*" }),
  );
  register(
    app,
    {
      method: "get",
      path: "/docs",
      tags: ["service"],
      security: [],
      summary: "API reference page (renders /openapi.json; works offline)",
      responses: { 200: html("HTML."), 307: { description: "To /docs/." }, ...errors },
    },
    (c) => c.redirect("/docs/", 307),
  );
  app.get("/docs/", docsPage);
  register(
    app,
    {
      method: "get",
      path: "/model-shards/{file}",
      honoPath: "/model-shards/:file{.+}",
      tags: ["service"],
      security: [],
      summary: 'The embedded model\'s files, only where MODEL_SHARDS_PUBLIC is "1" (else 404)',
      request: { params: z.object({ file: z.string().meta({ description: "A file of the model's manifest." }) }) },
      responses: {
        200: {
          description: "The file.",
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
        ...errors,
      },
    },
    modelFile,
  );
}
