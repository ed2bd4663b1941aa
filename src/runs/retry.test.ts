import { describe, expect, it } from "vitest";
import { backoffMs, type RetryPolicy } from "./retry";

const policy: RetryPolicy = { maxAttempts: 4, baseMs: 100, capMs: 1_000 };

describe("backoffMs", () => {
  it("grows exponentially up to the cap (upper bound of the jitter)", () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffMs(policy, n, 0, top))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it("jitters the whole interval", () => {
    expect(backoffMs(policy, 3, 0, () => 0)).toBe(0);
    expect(backoffMs(policy, 3, 0, () => 0.5)).toBe(200);
  });
  it("never waits less than Retry-After", () => {
    expect(backoffMs(policy, 1, 5_000, () => 0.5)).toBe(5_000);
  });
});
