import type { KeyLimiter } from "./platform/key-limiter";
import type { ReasoningRun } from "./runs/reasoning-run";
import type { BatchRun } from "./app/batches/batch-object";

/** Bindings and vars, as declared in wrangler.toml. */
export interface Env {
  RUNS: DurableObjectNamespace<ReasoningRun>;
  /** One `BatchRun` Durable Object per batch (POST /v1/batches). */
  BATCHES?: DurableObjectNamespace<BatchRun>;
  /** How many batch runs of one key go at once, across its batches (default 8). */
  BATCH_KEY_CONCURRENCY?: string;
  /** Static files under public/ (playground, docs, and the embedded model's files under /model-shards). */
  ASSETS?: Fetcher;
  /** Where the embedded model's files are read from: "assets" (default) or "r2" (MODEL_BUCKET). */
  MODEL_SOURCE?: string;
  /**
   * The model that scores candidates for the `verifier` scorer (`backend:model`, e.g.
   * `openai:x1-verifier`), with its own FALLBACKS chain; unset: the run's own model verifies.
   */
  VERIFIER_MODEL?: string;
  /** Any string, part of every run's content hash: change it to invalidate the result cache. */
  CACHE_VERSION?: string;
  /** R2 bucket holding the embedded model's files under `<model>/` (npm run upload:model). */
  MODEL_BUCKET?: R2Bucket;
  /** "1" serves /model-shards/* to anyone; by default the files are read by the Worker only. */
  MODEL_SHARDS_PUBLIC?: string;
  /** Comma-separated `backend:model` ids served here; the first is the default. */
  MODELS?: string;
  /** "1" serves the `mock:*` test and demo backends. */
  ALLOW_MOCK_BACKENDS?: string;
  /** Latency per call of the `mock:*` models in ms (default 20); the crash test slows them down. */
  MOCK_LATENCY_MS?: string;
  /** Base of the retry backoff in ms (default 500); tests lower it. */
  RETRY_BASE_MS?: string;
  /** Dev only: "1" lets `image.url` use plain http to localhost / 127.0.0.1 / [::1] (never set in production). */
  ALLOW_HTTP_IMAGE_URLS?: string;
  /** Dev only: "1" lets `webhook.url` use plain http to localhost (never set in production). */
  ALLOW_HTTP_WEBHOOKS?: string;
  /** D1: API keys, the usage ledger, the run index. */
  DB?: D1Database;
  /** Multiplies the webhook retry schedule (default 1; tests shrink it). */
  WEBHOOK_SCHEDULE_SCALE?: string;
  /** One `KeyLimiter` Durable Object per API key: its request rate limit. */
  LIMITER?: DurableObjectNamespace<KeyLimiter>;
  /** "1": every response is checked against /openapi.json; a mismatch becomes a 500 that says what drifted (tests, development). */
  VALIDATE_RESPONSES?: string;
  /** "development" for `npm start` and the tests (.dev.vars); anything else is a real deployment. */
  ENVIRONMENT?: string;
  /** Secret for the /admin routes (`wrangler secret put ADMIN_SECRET`). */
  ADMIN_SECRET?: string;
  /** Development only: an API key accepted (and seeded into D1 as `key_dev`) when ENVIRONMENT="development". */
  DEV_API_KEY?: string;
  /** Development only: the dev key's `whsec_` webhook secret (random when unset). */
  DEV_WEBHOOK_SECRET?: string;
  /** Price table, JSON: `{ "backend:model" | "backend:*": { input_per_mtok_usd, output_per_mtok_usd } }`. */
  PRICES?: string;
  /** Workers AI (the `[ai]` binding): the `workers-ai:*` models. */
  AI?: Ai;
  /** "1"/"0": add the four-stage instruction to Workers AI generation calls (default: on without a LoRA). */
  WORKERS_AI_FORMAT_PROMPT?: string;
  /** Base URL of an OpenAI-compatible server for `openai:*` models, e.g. https://vllm.example.com/v1. */
  OPENAI_BASE_URL?: string;
  /** Secret: its API key (sent as a Bearer token). */
  OPENAI_API_KEY?: string;
  /** How the assistant prefix is continued: continue_final_message (default), assistant_message, completions. */
  OPENAI_PREFILL?: string;
  /** Per-request timeout in ms (default 60000). */
  OPENAI_TIMEOUT_MS?: string;
  /** "0" when the server returns no logprobs (default "1"). */
  OPENAI_LOGPROBS?: string;
  /** "0" when the served model cannot read images (default "1"). */
  OPENAI_VISION?: string;
  /** "1": add the four-stage instruction to generation calls (a general instruction model; default "0"). */
  OPENAI_FORMAT_PROMPT?: string;
  /** Fallback chains on retryable errors: comma-separated `a=>b=>c`. */
  FALLBACKS?: string;
}
