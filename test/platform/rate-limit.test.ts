/** Per-key request rate limits: a token bucket per key in its KeyLimiter Durable Object. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { takeToken } from "../../src/platform/token-bucket";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { call } from "./helpers";

describe("token bucket", () => {
  it("allows a burst of N, then one every 60/N seconds, and says how long to wait", () => {
    let bucket = null;
    for (let i = 0; i < 3; i++) {
      const t = takeToken(bucket, 3, 1_000);
      expect(t).toMatchObject({ allowed: true, remaining: 2 - i, retry_after_s: 0 });
      bucket = t.bucket;
    }
    const denied = takeToken(bucket, 3, 1_000);
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retry_after_s: 20 });
    expect(takeToken(denied.bucket, 3, 11_000)).toMatchObject({ allowed: false, retry_after_s: 10 });
    expect(takeToken(denied.bucket, 3, 21_000).allowed).toBe(true);
  });

  it("never holds more than the limit, and a lowered limit applies at once", () => {
    const idle = takeToken({ tokens: 0, at: 0 }, 5, 3_600_000);
    expect(idle.remaining).toBe(4);
    expect(takeToken({ tokens: 50, at: 0 }, 1, 0)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("a clock that goes back refills nothing; Retry-After is at least 1 s", () => {
    const t = takeToken({ tokens: 0.99, at: 10_000 }, 60, 5_000);
    expect(t).toMatchObject({ allowed: false, retry_after_s: 1 });
  });
});

describe("rate limit on /v1", () => {
  it("over the key's limit → 429 with Retry-After naming the limit; other keys are unaffected", async () => {
    const slow = await createTestKey({ name: "slow", rate_limit_per_minute: 2 });
    const other = await createTestKey({ name: "other", rate_limit_per_minute: 2 });
    expect((await call("/v1/runs", slow.key)).status).toBe(200);
    expect((await call("/v1/usage", slow.key)).status).toBe(200);
    const res = await call("/v1/runs", slow.key);
    await expectError(
      res,
      429,
      new RegExp(
        `rate limit reached: key ${slow.id} may make 2 requests per minute \\(limit: rate_limit_per_minute = 2\\); retry after \\d+ s`,
      ),
      {
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
      },
    );
    const retryAfter = Number(res.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    // Bad input and unknown routes count too (the limit protects the service), and are limited.
    await expectError(await call("/v1/runs?limit=x", slow.key), 429, /rate limit reached/);
    expect((await call("/v1/runs", other.key)).status).toBe(200);
  });

  it("the bucket survives an eviction of the limiter object", async () => {
    const k = await createTestKey({ name: "evicted", rate_limit_per_minute: 1 });
    expect((await call("/v1/usage", k.key)).status).toBe(200);
    const limiter = env.LIMITER!;
    const stub = limiter.get(limiter.idFromName(k.id));
    await runInDurableObject(stub, (_obj, state) => state.abort("evicted by test")).catch(() => {});
    await expectError(await call("/v1/usage", k.key), 429, /may make 1 request per minute/);
  });
});
