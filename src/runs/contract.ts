/**
 * The contract between the HTTP layer and the `ReasoningRun` Durable Object (RPC methods).
 * Plain data only: it crosses the RPC boundary by structured clone.
 */
import type { ImageInput } from "../inference/backend";
import type { Stage } from "../reasoning/stages";
import type { RunSpec, Usage } from "../reasoning/types";
import type { RunStatus, RunUsageView, RunView } from "./view-schema";

export type { RunError, RunStatus, RunUsageView, RunView, WebhookView } from "./view-schema";
export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "canceled"];

export interface RunLimits {
  /** Wall-clock deadline, epoch ms: the run ends `failed` with code `deadline_exceeded`. */
  deadline_at: number;
  /** Token budget over all calls (input + output); the run ends `failed` with code `budget_exceeded`. */
  max_total_tokens?: number;
  /** The run's own cost cap in USD (a request's); the run ends `failed` / `budget_exceeded`. */
  max_cost_usd?: number;
  /**
   * The owner key's budget when the run was created: each call reserves its worst-case cost
   * against it in the key's KeyLimiter before it is sent (runs created before this field existed
   * were capped by `max_cost_usd` instead).
   */
  key_budget_usd?: number;
}

/** Price of a model, snapshotted into the run at creation so its bill never changes afterwards. */
export interface Price {
  /** USD per million input tokens (prompt tokens of generation and judging calls). */
  input_per_mtok_usd: number;
  /** USD per million output tokens (generated and judge tokens). */
  output_per_mtok_usd: number;
}

/** A run's webhook: where to deliver which events, signed with the owner key's `whsec_` secret. */
export interface WebhookConfig {
  url: string;
  /** Event types to deliver (e.g. `run.succeeded`); `*` for all. */
  events: string[];
  secret: string;
}

/** What a run took from another run instead of computing it, and what that had cost there. */
export interface ReusedWork {
  /** The stages taken as given (all four for a cached run). */
  stages: Stage[];
  /** The source run's usage for those stages: shown, never billed again. */
  usage: RunUsageView;
}

/** Where a run came from: a fork of another run (from a stage on), or a cached copy of one. */
export type RunOrigin =
  | { kind: "fork"; run_id: string; from: Stage; reused: ReusedWork }
  | { kind: "cache"; run_id: string; reused: ReusedWork };

/** What a run offers to a fork or a cache hit: its inputs and the stages it accepted. */
export interface RunLineage {
  model: string;
  spec: RunSpec;
  status: RunStatus;
  image?: ImageInput;
  /** Accepted stages, in order, as far as they are committed (all four once it succeeded). */
  accepted: Partial<Record<Stage, string>>;
  /** What the run spent on each stage's steps (best_of_n's whole answers: under `ANSWER`). */
  usageByStage: Partial<Record<Stage | "ANSWER", RunUsageView>>;
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
  /** The API key id that owns the run: only that key can see or cancel it; its usage is billed to it. */
  owner?: string;
  price?: Price;
  webhook?: WebhookConfig;
  origin?: RunOrigin;
}

export type CreateRunOutcome =
  { kind: "created"; view: RunView } | { kind: "existing"; view: RunView } | { kind: "conflict" };

export interface RunEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: number;
}

export type { Usage };

/**
 * RPC surface of the `ReasoningRun` Durable Object, as the HTTP layer uses it
 * (`env.RUNS.get(id).create(...)` etc.). Live events are served by the object's `fetch`:
 * `GET https://run/events` with an optional `Last-Event-ID` header answers an SSE stream that
 * replays every event after that id and closes after the run's terminal event.
 */
export interface RunObjectApi {
  /** Create the run, or return it when it exists with the same idempotency body hash; `conflict` when the hash differs. */
  create(input: CreateRunInput): Promise<CreateRunOutcome>;
  /**
   * The run, or null when this object holds no run — or when `owner` is given and the run belongs
   * to another key (isolation is enforced here, in one place: another key's run does not exist).
   */
  view(owner?: string): Promise<RunView | null>;
  /** Resolve when the run is terminal or `timeout_ms` has passed; null as for view. */
  wait(timeout_ms: number, owner?: string): Promise<RunView | null>;
  /** Stop scheduling; a terminal run is returned unchanged. Null as for view. */
  cancel(owner?: string): Promise<RunView | null>;
  /**
   * An idempotent request seen before: `existing` (same body hash) or `conflict`; null when this
   * object holds no run yet (or another key's). Checked before budgets and rate limits, so a
   * replay always gets the run it made.
   */
  replay(body_hash: string, owner: string): Promise<CreateRunOutcome | null>;
  /** Failed webhook deliveries sent again, in order, on a fresh schedule; null as for view. */
  retryWebhooks(owner?: string): Promise<{ retried: number; view: RunView } | null>;
  /** Link a fork to this run (its parent); false when this object holds no run of `owner`'s. */
  recordFork(owner: string, child: string, from: Stage): Promise<boolean>;
  /** The run's inputs and accepted stages, for a fork or a cache hit; null as for view. */
  lineage(owner?: string): Promise<RunLineage | null>;
  /** Events with seq > after, at most `limit`. */
  events(after: number, limit: number, owner?: string): Promise<RunEvent[]>;
  /** The run's input image as it was sent; null when the run has none (or null as for view). */
  image(owner?: string): Promise<ImageInput | null>;
}

/** Header carrying the caller's key id on the object's `fetch` (events stream). */
export const OWNER_HEADER = "x-run-owner";
