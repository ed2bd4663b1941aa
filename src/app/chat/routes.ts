/**
 * `POST /v1/chat/completions`: OpenAI's Chat Completions API over the same durable engine as
 * `POST /v1/runs` — every completion is a run (its id in `x-run-id` and `run_id`), created by the
 * same path after the same checks, so bad input creates nothing.
 */
import type { Context } from "hono";
import { z } from "zod";
import { errors, keyAuth, register, type App } from "../openapi";
import { readJsonBody } from "../http/body";
import { completionId, completionOf, createdSeconds, failureStatus, runFailureBody } from "./completion";
import { checkChatRun } from "./request";
import {
  UNSUPPORTED_OPENAI_FIELDS,
  chatCompletionChunkSchema,
  chatCompletionResponseSchema,
  chatCompletionSchema,
} from "./schema";
import { streamCompletion } from "./stream";
import { ApiError, invalidRequest } from "../errors";
import { bodyHash, parseIdempotencyKey } from "../http/idempotency";
import { MAX_BODY_BYTES } from "../http/limits";
import type { AppEnv } from "../types";
import { apiErrorMap } from "../zod-messages";
import { idempotencyConflict, isTerminalView } from "../runs/responses";
import { fetchRunEvents } from "../runs/routes";
import { startRun } from "../runs/start";
import { callerOf } from "../types";

/** A non-streaming completion waits for its run's deadline, plus this, before answering 504. */
const WAIT_GRACE_MS = 5_000;
/** One RPC wait at most this long; the loop re-waits until the deadline. */
const WAIT_SLICE_MS = 60_000;

/** A field of UNSUPPORTED_OPENAI_FIELDS that asks for something: 400 naming it and what is accepted. */
function rejectUnsupported(raw: unknown): void {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return;
  for (const [field, { neutral, test }] of Object.entries(UNSUPPORTED_OPENAI_FIELDS)) {
    const value = (raw as Record<string, unknown>)[field];
    if (value === undefined || value === null || test(value)) continue;
    throw invalidRequest(
      `${field}: this OpenAI parameter is not supported here (accepted only as null${neutral === "(none)" ? "" : ` or ${neutral}`})`,
      field,
      "unsupported_parameter",
    );
  }
}

async function createCompletion(c: Context<AppEnv>): Promise<Response> {
  const key = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  const raw = await readJsonBody(c.req.raw, MAX_BODY_BYTES);
  rejectUnsupported(raw);
  const chat = chatCompletionSchema.parse(raw, { error: apiErrorMap });
  const checked = await checkChatRun(c.env, chat);
  const idempotency = key === undefined ? undefined : { key, body_hash: await bodyHash({ chat_completion: raw }) };

  const { id, stub, outcome } = await startRun(callerOf(c), checked, idempotency);
  if (outcome.kind === "conflict") throw idempotencyConflict();
  const headers = { "x-run-id": id };
  const owner = c.get("apiKey").id;
  let view = outcome.view;

  if (chat.stream === true) {
    const events = await fetchRunEvents(stub, 0, owner);
    if (!events.ok || !events.body)
      throw new ApiError(500, "api_error", `could not follow run ${id} (HTTP ${events.status})`, {
        code: "stream_failed",
      });
    const head = {
      id: completionId(id),
      created: createdSeconds(view),
      model: view.model,
      run_id: id,
      includeUsage: chat.stream_options?.include_usage === true,
    };
    const body = streamCompletion(events.body, () => stub.view(owner), {
      head,
      format: chat.reasoning_format,
      hold: checked.spec.search.keep > 1,
    });
    return new Response(body, {
      headers: {
        ...headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }

  const until = Date.parse(view.timings.created_at) + checked.body.limits.deadline_seconds * 1000 + WAIT_GRACE_MS;
  while (!isTerminalView(view) && Date.now() < until) {
    view = (await stub.wait(Math.min(WAIT_SLICE_MS, Math.max(1, until - Date.now())), owner)) ?? view;
  }
  if (!isTerminalView(view)) {
    const message = `run ${id} did not finish within its deadline (${checked.body.limits.deadline_seconds} s); it may still finish: GET /v1/runs/${id}`;
    return c.json(
      { error: { type: "api_error", code: "run_timeout", message, param: null, run_id: id } },
      504,
      headers,
    );
  }
  if (view.status !== "succeeded") return c.json(runFailureBody(view), failureStatus(view), headers);
  return c.json(completionOf(view, chat.reasoning_format), 200, headers);
}

export function chatRoutes(app: App): void {
  register(
    app,
    {
      method: "post",
      path: "/v1/chat/completions",
      tags: ["openai"],
      security: keyAuth,
      summary: "OpenAI-compatible chat completion (one run)",
      description:
        "The last user message's text parts are the question and its image_url part (a data: URL or an https URL; at most one image) the image. " +
        "`max_tokens` caps each of the four stages. `reasoning_format`: `tagged` (default, the four stages in `content`) or `split` " +
        "(SUMMARY, CAPTION and REASONING in `reasoning_content`, the CONCLUSION in `content`). The run's id is in `x-run-id`.",
      request: {
        headers: z.object({ "Idempotency-Key": z.string().max(255).optional() }),
        body: { required: true, content: { "application/json": { schema: chatCompletionSchema } } },
      },
      responses: {
        200: {
          description: "The completion, or with `stream: true` a stream of chunks.",
          content: {
            "application/json": { schema: chatCompletionResponseSchema },
            "text/event-stream": { schema: chatCompletionChunkSchema },
          },
          headers: z.object({ "x-run-id": z.string().meta({ description: "The run behind the completion." }) }),
        },
        ...errors,
      },
    },
    createCompletion,
  );
}
