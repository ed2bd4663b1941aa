/**
 * Input limits of the HTTP API (docs/api.md). Every limit has a name so that an error can say
 * which one was hit: callers fix their request from the message alone.
 */

/** An inclusive numeric range; `exclusiveMin` marks ranges like top_p's (0, 1]. */
export interface Range {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly exclusiveMin?: boolean;
}

const MiB = 1024 * 1024;

export const MAX_QUESTION_CHARS = 2_000;
/** Decoded image bytes, whether sent inline (base64) or fetched from a URL. */
export const MAX_IMAGE_BYTES = 4 * MiB;
/** 4096 × 4096: larger images cost more to decode than a Worker's memory allows. */
export const MAX_IMAGE_PIXELS = 16_777_216;
/** Whole request body: 4 MiB of image is ≈ 5.4 MiB in base64, plus room for the rest. */
export const MAX_BODY_BYTES = 6 * MiB;
export const MAX_IMAGE_URL_CHARS = 2_048;
/** Remote image fetches give up after this long (the caller is waiting on the request). */
export const IMAGE_FETCH_TIMEOUT_MS = 10_000;

export const CANDIDATES: Range = { name: "candidates", min: 1, max: 16 };
export const KEEP: Range = { name: "keep", min: 1, max: 4 };
export const MAX_TOKENS_PER_STAGE: Range = { name: "max_tokens_per_stage", min: 1, max: 2_048 };
export const STAGE_MAX_TOKENS: Range = { name: "max_tokens", min: 1, max: 2_048 };
export const TEMPERATURE: Range = { name: "temperature", min: 0, max: 2 };
export const TOP_P: Range = { name: "top_p", min: 0, max: 1, exclusiveMin: true };
/** A run's sampling when the request names none: the reference implementation's values (temperature 0.6, top_p 0.9). */
export const DEFAULT_TEMPERATURE = 0.6;
export const DEFAULT_TOP_P = 0.9;
export const SEED: Range = { name: "seed", min: 0, max: 2 ** 32 - 1 };
export const PREFER_WAIT_SECONDS: Range = { name: "Prefer: wait", min: 0, max: 60 };
export const DEADLINE_SECONDS: Range = { name: "deadline_seconds", min: 1, max: 900 };
export const DEFAULT_DEADLINE_SECONDS = 300;
export const MAX_TOTAL_TOKENS: Range = { name: "max_total_tokens", min: 1, max: 10_000_000 };

export const MAX_METADATA_KEYS = 16;
export const MAX_METADATA_KEY_CHARS = 64;
export const MAX_METADATA_VALUE_CHARS = 512;

export const IDEMPOTENCY_KEY_CHARS: Range = { name: "Idempotency-Key length", min: 1, max: 255 };

/** `0 ≤ candidates ≤ 16`, `0 < top_p ≤ 1`: the limit as a caller reads it in an error. */
export function describeRange(r: Range): string {
  return `${r.min} ${r.exclusiveMin ? "<" : "≤"} ${r.name} ≤ ${r.max}`;
}

export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
