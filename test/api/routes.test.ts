/** The read/follow/cancel routes, service metadata, and the errors of unknown paths and methods. */
import { SELF, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ScriptedModel, createFixedLatencyModel, testBackends } from "../../src/inference/mock-model";
import type { RunView } from "../../src/runs/contract";
import { PNG_8x6_B64, fromBase64 } from "../fixtures/images";
import { authHeaders } from "../helpers/auth";
import { BASE, countRuns, expectError, postRun, validBody } from "./helpers";

const get = (path: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}${path}`, { headers: { ...authHeaders(), ...headers } });
const post = (path: string) => SELF.fetch(`${BASE}${path}`, { method: "POST", headers: authHeaders() });

async function finishedRun(): Promise<RunView> {
  const res = await postRun(validBody({ search: { candidates: 2 } }), { Prefer: "wait=30" });
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

interface Frame {
  id?: string;
  event?: string;
  data: string;
}

function parseSse(text: string): Frame[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.startsWith(":"))
    .map((block) => {
      const frame: Frame = { data: "" };
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(": ");
        const value = rest.join(": ");
        if (field === "id") frame.id = value;
        else if (field === "event") frame.event = value;
        else if (field === "data") frame.data += value;
      }
      return frame;
    });
}

describe("GET /v1/runs/:id/events", () => {
  it("replays every event as SSE, ending with the terminal one", async () => {
    const run = await finishedRun();
    const res = await get(`/v1/runs/${run.id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    const frames = parseSse(await res.text());
    const ids = frames.map((f) => Number(f.id));
    expect(ids.length).toBeGreaterThan(3);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(frames.at(-1)?.event).toBe("run.succeeded");
    expect(frames.some((f) => f.event === "stage.completed")).toBe(true);

    // Resume after an id: by header (EventSource reconnects) or by query.
    const cut = ids[2] ?? 0;
    const byHeader = parseSse(await (await get(`/v1/runs/${run.id}/events`, { "Last-Event-ID": String(cut) })).text());
    expect(byHeader.map((f) => Number(f.id))).toEqual(ids.filter((i) => i > cut));
    const byQuery = parseSse(await (await get(`/v1/runs/${run.id}/events?after=${cut}`)).text());
    expect(byQuery.map((f) => Number(f.id))).toEqual(ids.filter((i) => i > cut));
    const none = parseSse(
      await (await get(`/v1/runs/${run.id}/events`, { "Last-Event-ID": String(ids.at(-1)) })).text(),
    );
    expect(none).toEqual([]);
  });

  it("follows a run live; a client that drops and resumes with Last-Event-ID gets exactly the missed events", async () => {
    testBackends.set("mock:sse-slow", createFixedLatencyModel({ id: "mock:sse-slow", latencyMs: 15 }));
    const created = (await (
      await postRun(validBody({ model: "mock:sse-slow", search: { candidates: 4 } }))
    ).json()) as { id: string };
    // First connection: read a few frames while the run is still going, then drop it.
    const first = await get(`/v1/runs/${created.id}/events`);
    const reader = first.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    while ((buffered.match(/\n\n/g) ?? []).length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const seen = parseSse(buffered.slice(0, buffered.lastIndexOf("\n\n") + 2)).filter((f) => f.id !== undefined);
    const lastSeen = Number(seen.at(-1)?.id);
    expect(seen.at(-1)?.event).not.toBe("run.succeeded"); // dropped mid-run
    // Second connection resumes after the last id it saw and follows to the end.
    const rest = parseSse(
      await (await get(`/v1/runs/${created.id}/events`, { "Last-Event-ID": String(lastSeen) })).text(),
    );
    const all = parseSse(await (await get(`/v1/runs/${created.id}/events`)).text());
    expect([...seen, ...rest].map((f) => f.id)).toEqual(all.map((f) => f.id));
    expect(rest.at(-1)?.event).toBe("run.succeeded");
  });

  it.each(["-1", "abc", "1.5", "", "12abc"])("rejects Last-Event-ID %j", async (value) => {
    const run = await finishedRun();
    await expectError(
      await get(`/v1/runs/${run.id}/events`, { "Last-Event-ID": value }),
      400,
      /Last-Event-ID must be a non-negative integer event id/,
      {
        param: "Last-Event-ID",
      },
    );
  });

  it("rejects ?after= that is not an event id", async () => {
    const run = await finishedRun();
    await expectError(await get(`/v1/runs/${run.id}/events?after=x`), 400, /after must be a non-negative integer/, {
      param: "after",
    });
  });
});

describe("POST /v1/runs/:id/cancel", () => {
  testBackends.set(
    "mock:api-slow",
    new ScriptedModel({ id: "mock:api-slow", latencyMs: 250, respond: () => "slow</SUMMARY>" }),
  );

  it("cancels a running run; cancelling again changes nothing", async () => {
    const created = await postRun(validBody({ model: "mock:api-slow" }));
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    const res = await post(`/v1/runs/${id}/cancel`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as RunView;
    expect(view.status).toBe("canceled");
    expect(((await (await post(`/v1/runs/${id}/cancel`)).json()) as RunView).status).toBe("canceled");
    expect(((await (await get(`/v1/runs/${id}`)).json()) as RunView).status).toBe("canceled");
  });

  it("a finished run is returned unchanged", async () => {
    const run = await finishedRun();
    expect(((await (await post(`/v1/runs/${run.id}/cancel`)).json()) as RunView).status).toBe("succeeded");
  });
});

describe("run ids that are not runs → 404", () => {
  const bad = [
    "abc",
    "run_",
    `run_${"0".repeat(64)}`,
    `run_${"A".repeat(64)}`,
    `run_${"a".repeat(63)}`,
    `job_${"a".repeat(64)}`,
    `run_${"a".repeat(64)}x`,
  ];
  it.each(bad)("%s", async (id) => {
    const before = await countRuns();
    const path = `/v1/runs/${encodeURIComponent(id)}`;
    await expectError(await get(path), 404, /no run with id/, {
      type: "not_found_error",
      code: "run_not_found",
      param: "id",
    });
    await expectError(await get(`${path}/events`), 404, /no run with id/);
    await expectError(await post(`${path}/cancel`), 404, /no run with id/);
    expect(await countRuns()).toBe(before);
  });

  it("a well-formed id of an object that holds no run", async () => {
    const id = `run_${env.RUNS.newUniqueId().toString()}`;
    await expectError(await get(`/v1/runs/${id}`), 404, /no run with id/);
    await expectError(await get(`/v1/runs/${id}/events`), 404, /no run with id/);
    await expectError(await post(`/v1/runs/${id}/cancel`), 404, /no run with id/);
  });

  it("a Prefer wait that is not a number is a 400; one past the limit is applied up to it and says so", async () => {
    const run = await finishedRun();
    await expectError(
      await get(`/v1/runs/${run.id}`, { Prefer: "wait=soon" }),
      400,
      /Prefer: wait must be a whole number/,
    );
    const res = await get(`/v1/runs/${run.id}`, { Prefer: "wait=600" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Preference-Applied")).toBe("wait=60");
  });
});

describe("image URLs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("fetches an https image and runs with it", async () => {
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(
        async () => new Response(fromBase64(PNG_8x6_B64), { headers: { "Content-Type": "image/png" } }),
      );
    const res = await postRun(
      { question: "Colour?", image: { url: "https://images.test/a.png" } },
      { Prefer: "wait=30" },
    );
    expect(res.status).toBe(200);
    expect(spy).toHaveBeenCalledOnce();
    expect(String(spy.mock.calls[0]?.[0])).toBe("https://images.test/a.png");
  });

  it("a failing image URL creates no run", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("gone", { status: 410 }));
    const before = await countRuns();
    await expectError(
      await postRun({ question: "Colour?", image: { url: "https://images.test/gone.png" } }),
      400,
      /image\.url: fetching the image failed with HTTP 410/,
      {
        param: "image.url",
      },
    );
    expect(await countRuns()).toBe(before);
  });
});

describe("service routes", () => {
  it("GET /healthz", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, models: ["mock:fixed"] });
  });

  it("GET /v1/models in OpenAI's list shape", async () => {
    const body = (await (await get("/v1/models")).json()) as { object: string; data: Record<string, unknown>[] };
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      id: "mock:fixed",
      object: "model",
      owned_by: "mock",
      capabilities: { logprobs: true, vision: true },
    });
    expect(body.data[0]?.description).toContain("does not look at the image");
    expect(((await (await get("/v1/models/mock:fixed")).json()) as { id: string }).id).toBe("mock:fixed");
    await expectError(await get("/v1/models/nope:x"), 404, /model "nope:x" is not served here/);
  });

  it("unknown paths → 404 JSON", async () => {
    await expectError(await get("/v2/runs"), 404, /no route for GET \/v2\/runs/, { type: "not_found_error" });
  });

  it.each([
    ["DELETE", "/v1/runs", "GET, HEAD, POST"],
    ["PUT", "/v1/usage", "GET, HEAD"],
    ["PUT", "/healthz", "GET, HEAD"],
    ["POST", "/v1/models", "GET, HEAD"],
    ["DELETE", `/v1/runs/run_${"a".repeat(64)}`, "GET, HEAD"],
    ["GET", `/v1/runs/run_${"a".repeat(64)}/cancel`, "POST"],
  ])("%s %s → 405 with Allow: %s", async (method, path, allow) => {
    const res = await SELF.fetch(`${BASE}${path}`, { method, headers: authHeaders() });
    await expectError(res, 405, new RegExp(`${method} is not allowed on .* \\(allowed: ${allow}\\)`), {
      type: "method_not_allowed_error",
    });
    expect(res.headers.get("Allow")).toBe(allow);
  });
});
