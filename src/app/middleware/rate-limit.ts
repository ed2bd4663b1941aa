/**
 * Per-key request rate limit on `/v1/*` (after authentication): one token bucket per key in its
 * `KeyLimiter` Durable Object. Over the limit: 429 with `Retry-After` (seconds) naming the limit.
 */
import type { Context, MiddlewareHandler } from "hono";
import { parseIdempotencyKey } from "../http/idempotency";
import { idempotencyName } from "../runs/billing";
import type { KeyLimiter } from "../../platform/key-limiter";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

/**
 * A `POST /v1/runs` whose Idempotency-Key already made a run of this key: a replay, answered with
 * that run whatever the rate limit says (a client retrying after a lost response must get it).
 */
async function isReplay(c: Context<AppEnv>): Promise<boolean> {
  if (c.req.method !== "POST" || c.req.path !== "/v1/runs") return false;
  let idempotencyKey: string | undefined;
  try {
    idempotencyKey = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  } catch {
    return false;
  }
  if (idempotencyKey === undefined || !c.env.RUNS) return false;
  const keyId = c.get("apiKey").id;
  const stub = c.env.RUNS.get(c.env.RUNS.idFromName(idempotencyName(keyId, idempotencyKey)));
  return (await stub.view(keyId)) !== null;
}

export function keyRateLimit(): MiddlewareHandler<AppEnv> {
  return async function keyRateLimit(c, next) {
    const key = c.get("apiKey");
    const limiter = c.env.LIMITER as DurableObjectNamespace<KeyLimiter>; // checked by the auth middleware
    const result = await limiter.get(limiter.idFromName(key.id)).take(key.rate_limit_per_minute);
    if (!result.allowed && !(await isReplay(c))) {
      throw new ApiError(
        429,
        "rate_limit_error",
        `rate limit reached: key ${key.id} may make ${key.rate_limit_per_minute} request${key.rate_limit_per_minute === 1 ? "" : "s"} per minute (limit: rate_limit_per_minute = ${key.rate_limit_per_minute}); retry after ${result.retry_after_s} s`,
        { code: "rate_limit_exceeded", headers: { "Retry-After": String(result.retry_after_s) } },
      );
    }
    await next();
  };
}
