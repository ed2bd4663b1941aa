/**
 * The contract of the pure reasoning core: what a run asks for, what a step is, what a step
 * produced. Everything here is plain JSON so that it can be persisted and replayed.
 * No Workers, Hono or network imports in src/reasoning/ (a lint rule enforces it).
 */
import type { Stage } from "./stages";

export type Strategy = "stage_beam" | "greedy" | "best_of_n";
export type ScorerName = "judge" | "logprob" | "vote" | "verifier";

export interface StageOverride {
  candidates?: number;
  scorer?: ScorerName;
  temperature?: number;
  max_tokens?: number;
}

export interface SearchConfig {
  strategy: Strategy;
  /** N: candidates per prefix per stage (best_of_n: whole answers). */
  candidates: number;
  /** B: prefixes kept per stage (a true beam when > 1). */
  keep: number;
  scorer: ScorerName;
  stages?: Partial<Record<Stage, StageOverride>>;
  /**
   * Judge scorer: 2 = every match is judged in both orders (the pair as drawn, then swapped) and
   * a side wins only if both replies pick it; replies that disagree are a tie, broken by the
   * fallback rule (higher mean logprob). Absent = 1, the reference's single order (runs persisted
   * before the option existed replay unchanged).
   */
  judge_orders?: 1 | 2;
}

export interface SamplingConfig {
  temperature: number;
  top_p: number;
  max_tokens_per_stage: number;
  /** Run seed; every step's seed derives from it and the step id. */
  seed: number;
}

/** Everything the pure planner needs to know about a run. */
export interface RunSpec {
  question: string;
  /** Whether an image comes with the prompt (the executor attaches the bytes). */
  has_image: boolean;
  search: SearchConfig;
  sampling: SamplingConfig;
  /**
   * Stages taken as given instead of searched: the first k stages, in order (a fork carries its
   * parent's accepted stages; a cached run carries all four). The search starts after them, with
   * them as the accepted prefix; absent = none (runs persisted before forks replay unchanged).
   * best_of_n only takes all four or none: its whole answers cannot continue a partial one.
   */
  given?: Partial<Record<Stage, string>>;
}

/** A prompt in backend-neutral form: one user turn (with the run's image) and an assistant prefix to continue. */
export interface Prompt {
  system?: string;
  user: string;
  /** Text the assistant has already "said": generation continues from here (prefill). */
  assistant_prefix: string;
  with_image: boolean;
}

export type CallPurpose = "generate" | "judge" | "check" | "verify";

/** What a model step asks of a backend. */
export interface ModelRequest {
  purpose: CallPurpose;
  prompt: Prompt;
  /** How many continuations (= seeds.length). */
  n: number;
  /** One seed per continuation, derived from the run seed and the step id. */
  seeds: number[];
  stop: string[];
  max_tokens: number;
  temperature: number;
  top_p: number;
  logprobs: boolean;
  /** purpose `verify`: the candidate to score, instead of text to generate. */
  verify?: VerifyRequest;
}

/**
 * What the stage verifier scores: one candidate of a stage, continuing `context` (the earlier
 * stages it was generated after). A backend answers the probability that it is correct, from one
 * forward pass, without generating.
 */
export interface VerifyRequest {
  /** `ANSWER` for best_of_n's whole answers (then `candidate` is the tagged answer). */
  stage: Stage | "ANSWER";
  question: string;
  context: Partial<Record<Stage, string>>;
  candidate: string;
  with_image: boolean;
}

export type StepKind = "generate" | "check" | "match" | "select" | "verify";

/**
 * One unit of work with a stable id, e.g. `CAPTION/gen/0.2`, `REASONING/check/3`,
 * `CAPTION/match/1/0`, `CAPTION/select`, `ANSWER/gen/0.1` (best_of_n).
 * Model steps carry a request; local steps (select, forfeited matches) are computed by
 * `runLocalStep` without a backend.
 */
export interface StepSpec {
  id: string;
  kind: StepKind;
  /** `ANSWER` for best_of_n whole-answer steps. */
  stage: Stage | "ANSWER";
  request?: ModelRequest;
}

export type FinishReason = "stop" | "length" | "error" | "other";

export interface Usage {
  /** Undefined when the backend does not report it — never a made-up 0. */
  input_tokens?: number;
  output_tokens?: number;
  /** True when the figures are estimated rather than counted by the backend. */
  estimated?: boolean;
}

/** What a step produced; persisted as JSON, the only input to planning and tracing. */
export interface StepOutput {
  texts: string[];
  finish_reasons: FinishReason[];
  /** Per text: mean token log-probability, when the backend reports logprobs. */
  mean_logprobs?: (number | null)[];
  /** Verify steps: the verifier's probability that the candidate is correct (null: it could not say). */
  scores?: (number | null)[];
  usage: Usage;
  /** `backend:model` that served it, or `local`. */
  backend: string;
  latency_ms: number;
  warnings?: string[];
  /** Backends of a fallback chain that failed before `backend` served the call, in order. */
  fallback?: BackendAttempt[];
}

/** One failed attempt of a fallback chain (the call then moved to the next backend). */
export interface BackendAttempt {
  /** `backend:model` that failed. */
  backend: string;
  error: string;
  retryable: boolean;
  status?: number;
  latency_ms: number;
}

/** An event the core asks the executor to persist when a step commits. */
export interface EventDraft {
  type:
    | "stage.started"
    | "candidate.generated"
    | "candidate.scored"
    | "selfcheck.decided"
    | "judge.decided"
    | "stage.completed";
  data: Record<string, unknown>;
}

export type Plan = { status: "running"; steps: StepSpec[] } | { status: "done"; result: RunResult };

export interface RunResult {
  /** The CONCLUSION text of the winning answer. */
  answer: string;
  /** The selected text of every stage. */
  stages: Record<Stage, string>;
  /** The full assistant text, tags included. */
  text: string;
}
