/**
 * `/v1/runs`: create, read, follow and cancel runs (docs/api.md). Creating validates the whole
 * request — body, headers, image bytes — before any Durable Object is touched, so bad input
 * never leaves a run behind.
 */
import type { Context } from "hono";
import { z } from "zod";
import { OWNER_HEADER } from "../../runs/contract";
import { runViewSchema } from "../../runs/view-schema";
import { ApiError } from "../errors";
import { readJsonBody } from "../http/body";
import { bodyHash, parseIdempotencyKey } from "../http/idempotency";
import { MAX_BODY_BYTES } from "../http/limits";
import { parsePreferWait } from "../http/prefer";
import { parseResumePoint } from "../http/sse";
import { errors, json, keyAuth, register, type App } from "../openapi";
import { callerOf, type AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";
import { listOwnRuns, listQuerySchema } from "./list";
import { idempotencyConflict, isTerminalView, respondWithRun } from "./responses";
import { noSuchRun, parseRunId, runIdParam, runStub, type RunStub } from "./run-ids";
import { createRunSchema, runAcceptedSchema, runListSchema } from "./schemas";
import { prepareRun, startRun } from "./start";

async function createRun(c: Context<AppEnv>): Promise<Response> {
  const wait = parsePreferWait(c.req.header("Prefer"));
  const key = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  const raw = await readJsonBody(c.req.raw, MAX_BODY_BYTES);
  const body = createRunSchema.parse(raw, { error: apiErrorMap });
  const caller = callerOf(c);
  const checked = await prepareRun(caller, body);
  // Hash what the caller sent (not our defaults): a retry of the same request must match.
  const idempotency = key === undefined ? undefined : { key, body_hash: await bodyHash(raw) };
  const { stub, outcome } = await startRun(caller, checked, idempotency);
  if (outcome.kind === "conflict") throw idempotencyConflict();
  let view = outcome.view;
  if (wait !== undefined && wait > 0 && !isTerminalView(view))
    view = (await stub.wait(wait * 1000, c.get("apiKey").id)) ?? view;
  return respondWithRun(c, view, { waited: wait, replayed: outcome.kind === "existing" });
}

/**
 * The object's live SSE stream of a run's events after `after` (replayed from storage first).
 * With `owner`, the object answers 404 unless that key owns the run.
 */
export function fetchRunEvents(stub: RunStub, after: number, owner?: string): Promise<Response> {
  const headers: Record<string, string> = { "Last-Event-ID": String(after) };
  if (owner !== undefined) headers[OWNER_HEADER] = owner;
  return stub.fetch(new Request("https://run/events", { headers }));
}

async function getRun(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const wait = parsePreferWait(c.req.header("Prefer"));
  const owner = c.get("apiKey").id;
  const stub = runStub(c.env, parseRunId(c.env, id));
  // Another key's run answers null, exactly like a missing one: a 404 that reveals nothing.
  const view = wait ? await stub.wait(wait * 1000, owner) : await stub.view(owner);
  if (!view) throw noSuchRun(id);
  // GET always answers the run itself; Prefer: wait only long-polls for it to finish.
  const headers: Record<string, string> = wait !== undefined ? { "Preference-Applied": `wait=${wait}` } : {};
  return c.json(view, 200, headers);
}

async function streamRunEvents(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const after = parseResumePoint(c.req.header("Last-Event-ID"), c.req.query("after"));
  const owner = c.get("apiKey").id;
  const stub = runStub(c.env, parseRunId(c.env, id));
  if (!(await stub.view(owner))) throw noSuchRun(id);
  // The object owns the live stream (it knows when a step commits); we only pass the position.
  const res = await fetchRunEvents(stub, after, owner);
  if (res.status === 404) throw noSuchRun(id);
  return res;
}

/** The run's input image, bytes as sent (the playground shows it when it reopens a run). */
async function getRunImage(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const stub = runStub(c.env, parseRunId(c.env, id));
  const owner = c.get("apiKey").id;
  const image = await stub.image(owner);
  if (!image) {
    if (!(await stub.view(owner))) throw noSuchRun(id);
    throw new ApiError(404, "not_found_error", `run ${id} was created without an image`, {
      param: "id",
      code: "run_has_no_image",
    });
  }
  return new Response(image.bytes, {
    status: 200,
    headers: {
      "Content-Type": image.media_type,
      "Cache-Control": "private, max-age=86400, immutable",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

async function cancelRun(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const view = await runStub(c.env, parseRunId(c.env, id)).cancel(c.get("apiKey").id);
  if (!view) throw noSuchRun(id);
  return c.json(view, 200);
}

async function retryWebhooks(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const outcome = await runStub(c.env, parseRunId(c.env, id)).retryWebhooks(c.get("apiKey").id);
  if (!outcome) throw noSuchRun(id);
  if (!outcome.view.webhook)
    throw new ApiError(409, "invalid_request_error", `run ${id} was created without a webhook: nothing to retry`, {
      param: "id",
      code: "run_has_no_webhook",
    });
  return c.json({ object: "webhook_retry" as const, retried: outcome.retried, run: outcome.view }, 200);
}

const webhookRetrySchema = z
  .object({
    object: z.literal("webhook_retry"),
    retried: z.number().int().min(0).meta({ description: "Failed deliveries now pending again (0: none had failed)." }),
    run: runViewSchema,
  })
  .meta({ id: "WebhookRetry" });

const preferHeader = z.object({
  Prefer: z
    .string()
    .optional()
    .meta({ description: "`wait=N`: wait up to N seconds (at most 60) for the run to finish.", example: "wait=30" }),
});
const idempotencyHeader = z.object({
  "Idempotency-Key": z.string().max(255).optional().meta({
    description:
      "The same key with the same body returns the same run (`Idempotent-Replayed: true`); with a different body, 409.",
  }),
});
const preferenceApplied = z.object({
  "Preference-Applied": z.string().optional().meta({ description: "The `wait` that was applied, e.g. `wait=60`." }),
});

export function runsRoutes(app: App): void {
  register(
    app,
    {
      method: "get",
      path: "/v1/runs",
      tags: ["runs"],
      security: keyAuth,
      summary: "List the caller's runs, newest first",
      request: { query: listQuerySchema },
      responses: { 200: json(runListSchema, "A page of runs."), ...errors },
    },
    listOwnRuns,
  );
  register(
    app,
    {
      method: "post",
      path: "/v1/runs",
      tags: ["runs"],
      security: keyAuth,
      summary: "Start a run",
      description:
        "Validates everything (body, model, image bytes) before a run exists: a rejected request creates nothing.",
      request: {
        headers: preferHeader.extend(idempotencyHeader.shape),
        body: { required: true, content: { "application/json": { schema: createRunSchema } } },
      },
      responses: {
        200: { ...json(runViewSchema, "The finished run (with `Prefer: wait`)."), headers: preferenceApplied },
        202: {
          ...json(runAcceptedSchema, "The run started; poll or stream it."),
          headers: preferenceApplied.extend({ Location: z.string().meta({ description: "The run's URL." }) }),
        },
        ...errors,
      },
    },
    createRun,
  );
  register(
    app,
    {
      method: "get",
      path: "/v1/runs/{id}",
      tags: ["runs"],
      security: keyAuth,
      summary: "Get a run: status, answer, stages, trace, usage",
      request: { params: runIdParam, headers: preferHeader },
      responses: { 200: { ...json(runViewSchema, "The run."), headers: preferenceApplied }, ...errors },
    },
    getRun,
  );
  register(
    app,
    {
      method: "get",
      path: "/v1/runs/{id}/events",
      tags: ["runs"],
      security: keyAuth,
      summary: "Follow a run's events (Server-Sent Events)",
      request: {
        params: runIdParam,
        headers: z.object({
          "Last-Event-ID": z.string().optional().meta({ description: "Replay the events after this id." }),
        }),
        query: z.object({
          after: z
            .string()
            .optional()
            .meta({ description: "Same as Last-Event-ID, for clients that cannot set headers." }),
        }),
      },
      responses: {
        200: {
          description:
            "Server-Sent Events: each frame has `id` (the event's number in the run), `event` (its type) and JSON `data`; the stream closes after the terminal event.",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        ...errors,
      },
    },
    streamRunEvents,
  );
  register(
    app,
    {
      method: "get",
      path: "/v1/runs/{id}/image",
      tags: ["runs"],
      security: keyAuth,
      summary: "The run's input image, as sent",
      request: { params: runIdParam },
      responses: {
        200: {
          description: "The image bytes, with the media type they were sent as.",
          content: {
            "image/png": { schema: { type: "string", format: "binary" } },
            "image/jpeg": { schema: { type: "string", format: "binary" } },
          },
        },
        ...errors,
      },
    },
    getRunImage,
  );
  register(
    app,
    {
      method: "post",
      path: "/v1/runs/{id}/cancel",
      tags: ["runs"],
      security: keyAuth,
      summary: "Cancel a run (a finished run is returned unchanged)",
      request: { params: runIdParam },
      responses: { 200: json(runViewSchema, "The run."), ...errors },
    },
    cancelRun,
  );
  register(
    app,
    {
      method: "post",
      path: "/v1/runs/{id}/webhooks/retry",
      tags: ["runs"],
      security: keyAuth,
      summary: "Send the run's failed webhook deliveries again",
      description:
        "Every delivery in state `failed` goes back to `pending`, due now, in event order, on a fresh retry schedule. Delivered events are not sent again.",
      request: { params: runIdParam },
      responses: { 200: json(webhookRetrySchema, "How many deliveries were retried, and the run."), ...errors },
    },
    retryWebhooks,
  );
}
