/**
 * The backend interface (docs/backends.md), in the spirit of the Vercel AI SDK provider spec:
 * one small call, declared capabilities, usage left undefined when unknown, warnings for
 * options a backend ignores, and errors that say whether a retry can help.
 */
import type { BackendAttempt, FinishReason, ModelRequest, Prompt, Usage, VerifyRequest } from "../reasoning/types";

export type ImageMediaType = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

export interface ImageInput {
  bytes: Uint8Array;
  media_type: ImageMediaType;
}

export interface BackendCapabilities {
  /** Can return several continuations from one call. */
  n: boolean;
  /** Honours stop sequences itself (else the adapter cuts the text). */
  stop: boolean;
  logprobs: boolean;
  /** Can continue an assistant prefix. */
  prefill: boolean;
  vision: boolean;
  /** Largest n in one call, when limited. */
  max_n?: number;
  /** Implements `verify`: scores candidates without generating (the `verifier` scorer). */
  verify?: boolean;
  /** Most input tokens an image can cost, when known (budget reservations; docs/keys-and-billing.md). */
  image_tokens?: number;
}

export interface GenerateOptions extends ModelRequest {
  image?: ImageInput;
  signal?: AbortSignal;
}

export interface Generation {
  text: string;
  finish_reason: FinishReason;
  raw_finish_reason?: string;
  /** Mean token log-probability over the generated tokens, when reported. */
  mean_logprob?: number;
}

export interface GenerateResult {
  generations: Generation[];
  usage: Usage;
  warnings: string[];
  /** The backend that actually served the call, when it is not the one called (a fallback chain). */
  served_by?: string;
  /** Backends that failed before `served_by` answered (fallback chains). */
  attempts?: BackendAttempt[];
}

/** Candidates of one stage to score, usually continuing the same earlier stages (one batched call). */
export interface VerifyOptions {
  requests: VerifyRequest[];
  image?: ImageInput;
  signal?: AbortSignal;
}

export interface VerifyResult {
  /** Per request: the probability that the candidate is correct; null when the verifier could not say. */
  scores: (number | null)[];
  usage: Usage;
  warnings: string[];
  served_by?: string;
  attempts?: BackendAttempt[];
}

export interface Backend {
  /** `backend:model`, e.g. `embedded:x1-shapes-tiny`. */
  readonly id: string;
  readonly capabilities: BackendCapabilities;
  generate(options: GenerateOptions): Promise<GenerateResult>;
  /** The input tokens a call with this prompt reports, counted exactly (budget reservations); absent: bounded. */
  countInputTokens?(prompt: Prompt): Promise<number>;
  /** The stage verifier (capabilities.verify): one forward pass per candidate, nothing generated. */
  verify?(options: VerifyOptions): Promise<VerifyResult>;
}

/** A backend failure. `retryable` follows HTTP practice: timeouts, 408, 409, 429, ≥ 500. */
export class BackendError extends Error {
  override readonly name = "BackendError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** Server-suggested wait (Retry-After), in milliseconds. */
    readonly retry_after_ms?: number,
  ) {
    super(message);
  }
}

export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 409 || status === 429 || status >= 500;
