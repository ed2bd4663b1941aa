/**
 * `/v1/runs`: create, read, follow and cancel runs (DESIGN.md §6). Creating validates the whole
 * request — body, headers, image bytes — before any Durable Object is touched, so bad input
 * never leaves a run behind.
 */
import { Hono, type Context } from "hono";
import { readJsonBody } from "../body";
import { ApiError } from "../errors";
import { bodyHash, parseIdempotencyKey } from "../idempotency";
import { loadImage } from "../images";
import { MAX_BODY_BYTES } from "../limits";
import { parsePreferWait } from "../prefer";
import { noSuchRun, parseRunId, publicRunId, runStub } from "../run-ids";
import { createRunSchema, resolveModel, toRunSpec } from "../schemas";
import { parseResumePoint } from "../sse";
import type { AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";
import { isTerminalView, respondWithRun } from "./run-responses";

async function createRun(c: Context<AppEnv>): Promise<Response> {
  const env = c.env;
  const wait = parsePreferWait(c.req.header("Prefer"));
  const key = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  const raw = await readJsonBody(c.req.raw, MAX_BODY_BYTES);
  const body = createRunSchema.parse(raw, { error: apiErrorMap });
  const model = resolveModel(env, body);
  const image = await loadImage(body.image, env);
  const spec = toRunSpec(body, image !== undefined);
  // Hash what the caller sent (not our defaults): a retry of the same request must match.
  const idempotency_body_hash = key === undefined ? undefined : await bodyHash(raw);

  // Everything is valid: only now is a Durable Object addressed.
  const objectId = key === undefined ? env.RUNS.newUniqueId() : env.RUNS.idFromName(`idem:${key}`);
  const id = publicRunId(objectId);
  const stub = runStub(env, objectId);
  const now = Date.now();
  const outcome = await stub.create({
    id,
    model: model.id,
    spec,
    image,
    metadata: body.metadata,
    limits: { deadline_at: now + body.limits.deadline_seconds * 1000, max_total_tokens: body.limits.max_total_tokens },
    idempotency_body_hash,
    created_at: now,
  });
  if (outcome.kind === "conflict") {
    throw new ApiError(409, "idempotency_error", "this Idempotency-Key was already used with a different request body; use a new key for a new request", {
      param: "Idempotency-Key",
      code: "idempotency_conflict",
    });
  }
  let view = outcome.view;
  if (wait !== undefined && wait > 0 && !isTerminalView(view)) view = (await stub.wait(wait * 1000)) ?? view;
  return respondWithRun(c, view, { waited: wait, replayed: outcome.kind === "existing" });
}

async function getRun(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const wait = parsePreferWait(c.req.header("Prefer"));
  const stub = runStub(c.env, parseRunId(c.env, id));
  const view = wait ? await stub.wait(wait * 1000) : await stub.view();
  if (!view) throw noSuchRun(id);
  // GET always answers the run itself; Prefer: wait only long-polls for it to finish.
  const headers: Record<string, string> = wait !== undefined ? { "Preference-Applied": `wait=${wait}` } : {};
  return c.json(view, 200, headers);
}

async function streamRunEvents(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const after = parseResumePoint(c.req.header("Last-Event-ID"), c.req.query("after"));
  const stub = runStub(c.env, parseRunId(c.env, id));
  if (!(await stub.view())) throw noSuchRun(id);
  // The object owns the live stream (it knows when a step commits); we only pass the position.
  const res = await stub.fetch(new Request("https://run/events", { headers: { "Last-Event-ID": String(after) } }));
  if (res.status === 404) throw noSuchRun(id);
  return res;
}

async function cancelRun(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const view = await runStub(c.env, parseRunId(c.env, id)).cancel();
  if (!view) throw noSuchRun(id);
  return c.json(view, 200);
}

export function runsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post("/", createRun);
  app.get("/:id", getRun);
  app.get("/:id/events", streamRunEvents);
  app.post("/:id/cancel", cancelRun);
  return app;
}
