/**
 * A token bucket for "N requests per minute": it holds up to N tokens and refills N per minute,
 * continuously. A request takes one token; with none left it is told when the next one arrives.
 * Pure, so it is tested without a Durable Object.
 */

export interface Bucket {
  tokens: number;
  /** Epoch ms the tokens were last counted. */
  at: number;
}

export interface Take {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until a token is available again (0 when allowed). */
  retry_after_s: number;
  bucket: Bucket;
}

export function takeToken(previous: Bucket | null, perMinute: number, now: number): Take {
  const perMs = perMinute / 60_000;
  const start = previous ?? { tokens: perMinute, at: now };
  // A lowered limit caps the bucket at once; a clock that went back refills nothing.
  const tokens = Math.min(perMinute, start.tokens + Math.max(0, now - start.at) * perMs);
  if (tokens >= 1) {
    return {
      allowed: true,
      remaining: Math.floor(tokens - 1),
      retry_after_s: 0,
      bucket: { tokens: tokens - 1, at: now },
    };
  }
  const retry_after_s = Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  return { allowed: false, remaining: 0, retry_after_s, bucket: { tokens, at: now } };
}
