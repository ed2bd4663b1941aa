/**
 * Zod descriptions of what the API answers, for the OpenAPI document only (responses are built
 * by code typed against src/runs/contract.ts; these mirror those types and are not used to parse).
 */
import { z } from "zod";
import { WEBHOOK_EVENTS } from "../webhook-schema";

const count = z.number().int().min(0);

export const errorSchema = z
  .object({
    error: z.object({
      type: z.string().meta({
        description:
          "invalid_request_error, not_found_error, method_not_allowed_error, idempotency_error, api_error, …",
      }),
      message: z.string().meta({ description: "Names the field and the limit it broke." }),
      param: z.string().nullish().meta({ description: "Dotted path of the field at fault." }),
      code: z.string().optional(),
      request_id: z.string().optional(),
      run_id: z
        .string()
        .optional()
        .meta({ description: "Chat completions: the run behind a failed or timed-out completion." }),
    }),
  })
  .meta({ description: "Every error, with the right HTTP status." });

const runStatus = z.enum(["queued", "running", "succeeded", "failed", "canceled"]);
const stageTexts = z
  .object({ SUMMARY: z.string(), CAPTION: z.string(), REASONING: z.string(), CONCLUSION: z.string() })
  .partial();

export const runUsageSchema = z
  .object({
    input_tokens: count.optional(),
    output_tokens: count.optional(),
    judge_input_tokens: count.optional(),
    judge_output_tokens: count.optional(),
    total_tokens: count.optional(),
    model_steps: count,
    backend_ms: z.number().min(0),
    estimated: z.boolean(),
    cost_usd: z.number().min(0).optional(),
  })
  .meta({ description: "A figure the backend did not report is absent, never 0." });

export const runSchema = z.object({
  id: z.string().meta({ example: "run_3f…" }),
  object: z.literal("run"),
  model: z.string(),
  status: runStatus,
  question: z.string(),
  search: z.record(z.string(), z.unknown()),
  sampling: z.object({ temperature: z.number(), top_p: z.number(), max_tokens_per_stage: count, seed: count }),
  answer: z.string().nullable().meta({ description: "The CONCLUSION text." }),
  stages: stageTexts,
  text: z.string().nullable().meta({ description: "The whole answer, stage tags included." }),
  trace: z
    .record(z.string(), z.unknown())
    .meta({ description: "The search tree: every candidate, judge match and selection." }),
  usage: runUsageSchema,
  timings: z.object({
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
  }),
  progress: z.object({ steps_done: count, current_stage: z.string().nullable() }),
  error: z.object({ type: z.string(), code: z.string(), message: z.string() }).nullable(),
  metadata: z.record(z.string(), z.string()),
  webhook: z.record(z.string(), z.unknown()).nullable(),
});

export const runAcceptedSchema = z.object({
  id: z.string(),
  object: z.literal("run"),
  status: runStatus,
  model: z.string(),
  seed: count,
  links: z.object({ self: z.string(), events: z.string(), cancel: z.string() }),
});

export const runEventSchema = z.string().meta({
  description:
    `Server-Sent Events; each frame has \`id\` (the sequence number), \`event\` (run.created, ${WEBHOOK_EVENTS.join(", ")}) and JSON \`data\`. ` +
    "Resume with Last-Event-ID (or ?after=); the stream closes after the terminal event.",
});

const modelSchema = z.object({
  id: z.string().meta({ example: "mock:fixed" }),
  object: z.literal("model"),
  owned_by: z.string(),
  description: z.string(),
  capabilities: z.record(z.string(), z.boolean()),
});
export { modelSchema };
export const modelListSchema = z.object({ object: z.literal("list"), data: z.array(modelSchema) });

export const healthSchema = z.object({ ok: z.boolean(), models: z.array(z.string()) });

export const runListSchema = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal("run"),
      model: z.string(),
      status: z.string(),
      created_at: z.string(),
      links: z.record(z.string(), z.string()),
    }),
  ),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});

export const usageSchema = z.object({
  object: z.literal("usage"),
  key_id: z.string(),
  from: z.string(),
  to: z.string(),
  data: z.array(
    z
      .record(z.string(), z.unknown())
      .meta({ description: "One UTC day and model: runs (by status), token counts, backend_ms, cost_usd, estimated." }),
  ),
  total: z.record(z.string(), z.number()),
  budget: z.record(z.string(), z.unknown()),
});

export const apiKeySchema = z.object({
  id: z.string(),
  object: z.literal("api_key"),
  name: z.string(),
  prefix: z.string(),
  budget_usd: z.number().nullable(),
  rate_limit_per_minute: z.number().int(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  key: z.string().optional().meta({ description: "The secret: in the creation response only." }),
  webhook_secret: z.string().optional().meta({ description: "whsec_…: in the creation response only." }),
  spent_usd: z.number().optional().meta({ description: "In the list only." }),
});
export const apiKeyListSchema = z.object({ object: z.literal("list"), data: z.array(apiKeySchema) });

export const chatUsageSchema = z
  .object({
    prompt_tokens: count
      .optional()
      .meta({ description: "Every prompt token the backend read, over all calls of the search (judging included)." }),
    completion_tokens: count.optional().meta({
      description: "Every token generated: all candidates of every stage, and the judge's and self-checks' output.",
    }),
    total_tokens: count.optional(),
    completion_tokens_details: z
      .object({
        reasoning_tokens: count.meta({
          description:
            "The judging share of completion_tokens (judge matches and self-checks): generated, never shown.",
        }),
      })
      .optional(),
    cost_usd: z
      .number()
      .min(0)
      .optional()
      .meta({ description: "Extension: the run's cost, when the deployment prices its models." }),
  })
  .meta({ description: "A figure the backend did not report is absent, never 0." });

const assistantMessage = z.object({
  role: z.literal("assistant"),
  content: z.string().meta({ description: "tagged: the four stages, tags included; split: the CONCLUSION only." }),
  reasoning_content: z.string().optional().meta({
    description: "split only: <SUMMARY>…</SUMMARY>, <CAPTION>…</CAPTION>, <REASONING>…</REASONING>, one per line.",
  }),
  refusal: z.null(),
});

export const chatCompletionResponseSchema = z.object({
  id: z.string().meta({ description: "chatcmpl- + the run's hex id." }),
  object: z.literal("chat.completion"),
  created: count,
  model: z.string(),
  choices: z.array(
    z.object({ index: z.literal(0), message: assistantMessage, finish_reason: z.literal("stop"), logprobs: z.null() }),
  ),
  usage: chatUsageSchema,
  run_id: z
    .string()
    .meta({ description: "Extension: the run (also in the x-run-id header); GET /v1/runs/{id} has its trace." }),
});

export const chatCompletionChunkSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion.chunk"),
    created: count,
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.literal(0),
        delta: z.object({
          role: z.literal("assistant").optional(),
          content: z.string().optional(),
          reasoning_content: z.string().optional(),
        }),
        finish_reason: z.literal("stop").nullable(),
        logprobs: z.null(),
      }),
    ),
    usage: chatUsageSchema.nullish(),
    run_id: z.string(),
  })
  .meta({
    description:
      "stream: true answers text/event-stream: `data: <chunk>` frames (a role chunk, one chunk per completed stage, a final chunk with finish_reason, " +
      'a usage chunk with empty choices when stream_options.include_usage), then `data: [DONE]`. A run that fails mid-stream ends with `data: {"error": …}`.',
  });
