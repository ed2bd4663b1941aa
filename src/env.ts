import type { ReasoningRun } from "./runs/reasoning-run";

/** Bindings and vars, as declared in wrangler.toml. */
export interface Env {
  RUNS: DurableObjectNamespace<ReasoningRun>;
  /** Static files under public/ (playground, docs). */
  ASSETS?: Fetcher;
  /** Comma-separated `backend:model` ids served here; the first is the default. */
  MODELS?: string;
  /** "1" serves the `mock:*` test and demo backends. */
  ALLOW_MOCK_BACKENDS?: string;
  /** Base of the retry backoff in ms (default 500); tests lower it. */
  RETRY_BASE_MS?: string;
  /** Dev only: "1" lets `image.url` use plain http to localhost / 127.0.0.1 / [::1] (never set in production). */
  ALLOW_HTTP_IMAGE_URLS?: string;
  /** D1: API keys, the usage ledger, the run index (issue 5). */
  DB?: D1Database;
  /** Multiplies the webhook retry schedule (default 1; tests shrink it). */
  WEBHOOK_SCHEDULE_SCALE?: string;
}
