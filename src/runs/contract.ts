/**
 * The contract between the HTTP layer and the `ReasoningRun` Durable Object (RPC methods).
 * Plain data only: it crosses the RPC boundary by structured clone.
 */
import type { ImageInput } from "../inference/backend";
import type { RunSpec, RunResult, Usage } from "../reasoning/types";

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "canceled";
export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "canceled"];

export interface RunLimits {
  /** Wall-clock deadline, epoch ms: the run ends `failed` with code `deadline_exceeded`. */
  deadline_at: number;
  /** Token budget over all calls (input + output); the run ends `failed` with code `budget_exceeded`. */
  max_total_tokens?: number;
}

export interface CreateRunInput {
  /** Public run id (`run_` + the object's hex id). */
  id: string;
  model: string;
  spec: RunSpec;
  image?: ImageInput;
  metadata?: Record<string, string>;
  limits: RunLimits;
  /** SHA-256 of the canonical request body, when the caller sent an Idempotency-Key. */
  idempotency_body_hash?: string;
  created_at: number;
}

export interface RunError {
  type: string;
  code: string;
  message: string;
}

export interface RunUsageView {
  input_tokens?: number;
  output_tokens?: number;
  judge_input_tokens?: number;
  judge_output_tokens?: number;
  total_tokens?: number;
  backend_calls: number;
  backend_ms: number;
  estimated: boolean;
}

export interface RunView {
  id: string;
  object: "run";
  model: string;
  status: RunStatus;
  question: string;
  search: RunSpec["search"];
  sampling: RunSpec["sampling"];
  answer: string | null;
  stages: Partial<RunResult["stages"]>;
  text: string | null;
  trace: unknown;
  usage: RunUsageView;
  timings: { created_at: string; started_at: string | null; finished_at: string | null; duration_ms: number | null };
  progress: { steps_done: number; current_stage: string | null };
  error: RunError | null;
  metadata: Record<string, string>;
}

export type CreateRunOutcome =
  | { kind: "created"; view: RunView }
  | { kind: "existing"; view: RunView }
  | { kind: "conflict" };

export interface RunEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: number;
}

export type { Usage };
