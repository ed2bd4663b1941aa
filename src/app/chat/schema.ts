/**
 * The request body of `POST /v1/chat/completions`: OpenAI's Chat Completions shape, restricted to
 * what the engine can honour. Strict like the rest of the API: an unknown field is a 400 naming
 * it; OpenAI fields we cannot honour (tools, logprobs, stop, …) get a 400 saying so.
 *
 * Null is accepted wherever OpenAI's spec allows it and means "not given" (some clients send
 * every optional field, set to null).
 */
import { z } from "zod";
import { MAX_TOKENS_PER_STAGE, SEED, TEMPERATURE, TOP_P } from "../limits";
import { createRunSchema, ranged } from "../schemas";

export const MAX_MESSAGES = 256;
export const REASONING_FORMATS = ["tagged", "split"] as const;
export type ReasoningFormat = (typeof REASONING_FORMATS)[number];

/**
 * OpenAI Chat Completions fields this API knows but cannot honour. They get their own message
 * (instead of "unknown field") so that a caller porting an OpenAI request knows it is not a typo.
 */
export const UNSUPPORTED_OPENAI_FIELDS = [
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "functions",
  "function_call",
  "logprobs",
  "top_logprobs",
  "stop",
  "frequency_penalty",
  "presence_penalty",
  "logit_bias",
  "response_format",
  "audio",
  "modalities",
  "prediction",
  "reasoning_effort",
  "verbosity",
  "web_search_options",
  "service_tier",
] as const;

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
  });

export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;
export type ChatCompletionRequest = z.input<typeof chatCompletionSchema>;
