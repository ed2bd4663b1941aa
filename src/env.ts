import type { ReasoningRun } from "./runs/reasoning-run";

/** Bindings and vars, as declared in wrangler.toml. */
export interface Env {
  RUNS: DurableObjectNamespace<ReasoningRun>;
  /** Comma-separated `backend:model` ids served here; the first is the default. */
  MODELS?: string;
  /** "1" serves the `mock:*` test and demo backends. */
  ALLOW_MOCK_BACKENDS?: string;
}
