/**
 * The request body of `POST /v1/chat/completions`: OpenAI's Chat Completions shape, restricted to
 * what the engine can honour. Strict like the rest of the API: an unknown field is a 400 naming
 * it; OpenAI fields we cannot honour (tools, logprobs, stop, …) get a 400 saying so.
 *
 * Null is accepted wherever OpenAI's spec allows it and means "not given" (some clients send
 * every optional field, set to null).
 */
import { z } from "zod";
import { MAX_TOKENS_PER_STAGE, SEED, TEMPERATURE, TOP_P } from "../http/limits";
import { createRunSchema, ranged } from "../runs/schemas";

export const MAX_MESSAGES = 256;
export const REASONING_FORMATS = ["tagged", "split"] as const;
export type ReasoningFormat = (typeof REASONING_FORMATS)[number];

const isEmptyArray = (v: unknown): boolean => Array.isArray(v) && v.length === 0;
const isEmptyObject = (v: unknown): boolean =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/**
 * OpenAI Chat Completions fields this API knows but cannot honour. As OpenAI's own API does, each
 * is accepted when it asks for nothing — null, or the value that means "not used" — and anything
 * else is a 400 `unsupported_parameter` naming it (so a caller porting a request knows it is not a
 * typo). Each entry: what "asks for nothing" is, in words and as a test.
 */
export const UNSUPPORTED_OPENAI_FIELDS: Record<string, { neutral: string; test: (v: unknown) => boolean }> = {
  tools: { neutral: "[]", test: isEmptyArray },
  tool_choice: { neutral: '"none" or "auto"', test: (v) => v === "none" || v === "auto" },
  parallel_tool_calls: { neutral: "true or false (no tools are called)", test: (v) => typeof v === "boolean" },
  functions: { neutral: "[]", test: isEmptyArray },
  function_call: { neutral: '"none" or "auto"', test: (v) => v === "none" || v === "auto" },
  logprobs: { neutral: "false", test: (v) => v === false },
  top_logprobs: { neutral: "0", test: (v) => v === 0 },
  stop: { neutral: "[]", test: isEmptyArray },
  frequency_penalty: { neutral: "0", test: (v) => v === 0 },
  presence_penalty: { neutral: "0", test: (v) => v === 0 },
  logit_bias: { neutral: "{}", test: isEmptyObject },
  response_format: {
    neutral: '{"type": "text"}',
    test: (v) => isEmptyObject(v) || JSON.stringify(v) === '{"type":"text"}',
  },
  audio: { neutral: "(none)", test: () => false },
  modalities: { neutral: '["text"]', test: (v) => JSON.stringify(v) === '["text"]' },
  prediction: { neutral: "(none)", test: () => false },
  reasoning_effort: { neutral: "(none)", test: () => false },
  verbosity: { neutral: "(none)", test: () => false },
  web_search_options: { neutral: "(none)", test: () => false },
  service_tier: { neutral: '"auto" or "default"', test: (v) => v === "auto" || v === "default" },
};

/** The fields above, declared so that they are documented (and accepted when neutral). */
const unsupportedFields = Object.fromEntries(
  Object.entries(UNSUPPORTED_OPENAI_FIELDS).map(([field, { neutral }]) => [
    field,
    z
      .unknown()
      .optional()
      .meta({ description: `Not supported: accepted only as null${neutral === "(none)" ? "" : ` or ${neutral}`}.` }),
  ]),
);

/** Accepted for compatibility and ignored (they change nothing in what we compute). */
export const IGNORED_OPENAI_FIELDS = ["user", "safety_identifier", "prompt_cache_key", "store"] as const;

const imageUrlSchema = z.strictObject({
  // Data URLs carry the whole image (up to the body limit); https URLs are bounded in request.ts.
  url: z
    .string()
    .min(1, { error: "must not be empty (a data: URL or an https URL)" })
    .meta({ description: "`data:image/png;base64,…` (or image/jpeg), or an https URL (≤ 2048 chars)." }),
  // Accepted and ignored: the model sees the image as sent.
  detail: z.enum(["auto", "low", "high"]).nullish(),
});

/** One object with a cross-check instead of a union: errors name the field, not "invalid input". */
const contentPartSchema = z
  .strictObject({
    type: z.enum(["text", "image_url"]),
    text: z.string().optional(),
    image_url: imageUrlSchema.optional(),
  })
  .superRefine((part, ctx) => {
    const [needed, other] = part.type === "text" ? (["text", "image_url"] as const) : (["image_url", "text"] as const);
    if (part[needed] === undefined)
      ctx.addIssue({ code: "custom", path: [needed], message: `is required in a "${part.type}" part` });
    if (part[other] !== undefined)
      ctx.addIssue({ code: "custom", path: [other], message: `is not allowed in a "${part.type}" part` });
  });

export type ContentPart = z.output<typeof contentPartSchema>;

/** A string is shorthand for one text part; null (an assistant turn without text) for none. */
const contentSchema = z
  .preprocess(
    (v) => (typeof v === "string" ? [{ type: "text", text: v }] : v === null ? [] : v),
    z.array(contentPartSchema, {
      error: (iss) => (iss.code === "invalid_type" ? "must be a string or an array of content parts" : undefined),
    }),
  )
  .meta({ description: "A string (one text part), null (no text), or an array of `text` and `image_url` parts." });

const messageSchema = z.strictObject({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: contentSchema,
  name: z.string().optional(),
});

export type ChatMessage = z.output<typeof messageSchema>;

const maxTokens = ranged({ ...MAX_TOKENS_PER_STAGE, name: "max_tokens" }, "int")
  .nullish()
  .meta({
    description:
      "Per stage: each of the four stages generates at most this many tokens (default 512). The token budget of the whole search is not capped by it.",
  });

export const chatCompletionSchema = z
  .strictObject({
    model: z
      .string()
      .min(1, { error: "must not be empty (omit it for the default model)" })
      .nullish()
      .meta({ description: "A model of GET /v1/models (`backend:model`); omitted: the default model." }),
    messages: z
      .array(messageSchema)
      .min(1, { error: "must contain at least one message" })
      .max(MAX_MESSAGES, { error: `must contain at most ${MAX_MESSAGES} messages (limit: messages ≤ ${MAX_MESSAGES})` })
      .meta({
        description:
          "The last message must be the user's: its text is the question, its image_url part (at most one per request) the image. System messages and earlier turns are accepted but not sent to the model.",
      }),
    temperature: ranged(TEMPERATURE, "number").nullish(),
    top_p: ranged(TOP_P, "number").nullish(),
    max_tokens: maxTokens,
    /** OpenAI's newer name for max_tokens; same meaning here. */
    max_completion_tokens: maxTokens,
    seed: ranged(SEED, "int").nullish(),
    n: z
      .number()
      .int({ error: "must be an integer" })
      .nullish()
      .meta({ description: "Only 1 (the search samples candidates itself: see search.candidates)." }),
    stream: z
      .boolean()
      .nullish()
      .meta({ description: "Server-sent `chat.completion.chunk`s, one per completed stage, then `data: [DONE]`." }),
    stream_options: z
      .strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
      .nullish(),
    metadata: createRunSchema.shape.metadata.nullish().meta({ description: "Stored on the run (≤ 16 string pairs)." }),
    // Extensions: the search (same schema as POST /v1/runs) and how the stages come back.
    search: createRunSchema.shape.search.meta({ description: "Extension: the search, as in POST /v1/runs." }),
    reasoning_format: z.enum(REASONING_FORMATS).default("tagged").meta({
      description:
        "Extension. `tagged`: the four stages in `content`, tags included. `split`: SUMMARY, CAPTION and REASONING in `reasoning_content`, the CONCLUSION in `content`.",
    }),
    // Ignored (IGNORED_OPENAI_FIELDS).
    user: z
      .string()
      .nullish()
      .meta({ description: "Accepted and ignored (as are safety_identifier, prompt_cache_key and store)." }),
    safety_identifier: z.string().nullish(),
    prompt_cache_key: z.string().nullish(),
    store: z.boolean().nullish(),
    ...unsupportedFields,
  })
  .superRefine((b, ctx) => {
    if (b.n !== undefined && b.n !== null && b.n !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["n"],
        message: `only n = 1 is supported (received ${b.n}); the search samples candidates itself: set search.candidates`,
      });
    }
    if (b.max_tokens != null && b.max_completion_tokens != null && b.max_tokens !== b.max_completion_tokens) {
      ctx.addIssue({
        code: "custom",
        path: ["max_completion_tokens"],
        message: "give max_tokens or max_completion_tokens, not both with different values",
      });
    }
    if (b.stream_options != null && b.stream !== true) {
      ctx.addIssue({ code: "custom", path: ["stream_options"], message: "is only allowed when stream is true" });
    }
  })
  .meta({ id: "ChatCompletionRequest" });

export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;
export type ChatCompletionRequest = z.input<typeof chatCompletionSchema>;

// ---------------------------------------------------------------- responses

const count = z.number().int().min(0);

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

export const chatCompletionResponseSchema = z
  .object({
    id: z.string().meta({ description: "chatcmpl- + the run's hex id." }),
    object: z.literal("chat.completion"),
    created: count,
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.literal(0),
        message: assistantMessage,
        finish_reason: z.literal("stop"),
        logprobs: z.null(),
      }),
    ),
    usage: chatUsageSchema,
    run_id: z
      .string()
      .meta({ description: "Extension: the run (also in the x-run-id header); GET /v1/runs/{id} has its trace." }),
  })
  .meta({ id: "ChatCompletion" });

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
    id: "ChatCompletionChunk",
    description:
      "stream: true answers text/event-stream: `data: <chunk>` frames (a role chunk, one chunk per completed stage, a final chunk with finish_reason, " +
      'a usage chunk with empty choices when stream_options.include_usage), then `data: [DONE]`. A run that fails mid-stream ends with `data: {"error": …}`.',
  });
