/**
 * Retry policy for backend failures: exponential backoff with full jitter (a uniformly random
 * wait in [0, min(cap, base·2^attempt)]), so that many runs failing together do not retry in
 * lock-step. A server's Retry-After is a floor.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseMs: 500, capMs: 30_000 };

export function backoffMs(
  policy: RetryPolicy,
  failedAttempts: number,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.max(retryAfterMs, Math.round(random() * ceiling));
}
