/**
 * Reserve before spending: before a call is sent, its worst case — the prompt's tokens (counted by
 * the backend when it can, bounded from above when it cannot) plus `max_tokens` for each
 * continuation — must fit in what the run's token limit and the cost budget have left. A call that
 * fits only with a smaller `max_tokens` is sent with that; one that cannot fit even
 * MIN_OUTPUT_TOKENS is not sent. Because a call never uses more than it reserved, spend never
 * passes a limit. Pure: the executor supplies the counts and what is left.
 */
import type { ModelRequest, Prompt } from "../reasoning/types";
import type { Price } from "./contract";

/** Chat-template and instruction tokens a backend may add around the prompt, when it cannot count them. */
export const TEMPLATE_TOKEN_BOUND = 1024;
/** An image's tokens when the backend declares no figure (a tiled vision encoder's worst case). */
export const DEFAULT_IMAGE_TOKEN_BOUND = 6404;
/** A call is not worth sending with fewer output tokens per continuation than this (or its own max_tokens, if less). */
export const MIN_OUTPUT_TOKENS = 16;

const utf8 = new TextEncoder();

/**
 * An upper bound on a prompt's input tokens for a backend that cannot count them: every tokenizer
 * in use makes at most one token per UTF-8 byte, plus the template and the image.
 */
export function inputTokenBound(prompt: Prompt, imageTokens = DEFAULT_IMAGE_TOKEN_BOUND): number {
  const text = utf8.encode(`${prompt.user}${prompt.assistant_prefix}`).length;
  return text + TEMPLATE_TOKEN_BOUND + (prompt.with_image ? imageTokens : 0);
}

export const costOf = (inputTokens: number, outputTokens: number, price: Price): number =>
  (inputTokens * price.input_per_mtok_usd + outputTokens * price.output_per_mtok_usd) / 1_000_000;

/** What the limits leave for the next call; undefined: no such limit. */
export interface Headroom {
  tokens?: number;
  usd?: number;
}

export type Fit =
  | { ok: true; max_tokens: number; tokens: number; usd: number }
  | { ok: false; limit: "tokens" | "usd"; needed_tokens: number; needed_usd: number };

/**
 * The largest `max_tokens` (at most the request's) with which a call of `n` continuations after
 * `inputTokens` of prompt fits the headroom, and what it reserves.
 */
export function fitCall(
  request: Pick<ModelRequest, "n" | "max_tokens">,
  inputTokens: number,
  headroom: Headroom,
  price: Price | null,
): Fit {
  const n = Math.max(1, request.n);
  let perContinuation = request.max_tokens;
  let limit: "tokens" | "usd" | undefined;
  if (headroom.tokens !== undefined) {
    const room = Math.floor((headroom.tokens - inputTokens) / n);
    if (room < perContinuation) [perContinuation, limit] = [room, "tokens"];
  }
  if (headroom.usd !== undefined && price) {
    const left = headroom.usd - costOf(inputTokens, 0, price);
    const room =
      price.output_per_mtok_usd > 0
        ? Math.floor((left * 1_000_000) / price.output_per_mtok_usd / n)
        : left >= 0
          ? perContinuation
          : -1;
    if (room < perContinuation) [perContinuation, limit] = [room, "usd"];
  }
  const needed = Math.min(MIN_OUTPUT_TOKENS, request.max_tokens);
  if (limit !== undefined && perContinuation < needed) {
    const tokens = inputTokens + n * needed;
    return { ok: false, limit, needed_tokens: tokens, needed_usd: price ? costOf(inputTokens, n * needed, price) : 0 };
  }
  const tokens = inputTokens + n * perContinuation;
  return {
    ok: true,
    max_tokens: perContinuation,
    tokens,
    usd: price ? costOf(inputTokens, n * perContinuation, price) : 0,
  };
}
