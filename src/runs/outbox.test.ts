import { describe, expect, it } from "vitest";
import { WEBHOOK_SCHEDULE_MS, webhookRetry } from "./outbox";

const middle = () => 0.5; // no jitter

describe("webhook retry schedule", () => {
  it("retries within seconds first, then minutes and hours, about a day in all, then gives up", () => {
    const waits = WEBHOOK_SCHEDULE_MS.map((_, i) => webhookRetry(i + 1, 1, middle));
    expect(waits).toEqual(WEBHOOK_SCHEDULE_MS);
    expect(webhookRetry(WEBHOOK_SCHEDULE_MS.length + 1, 1, middle)).toBeNull();
    // A receiver back after a 20 s outage is retried within 60 s of going down.
    const times = waits.reduce<number[]>((acc, w) => [...acc, (acc.at(-1) ?? 0) + (w ?? 0)], []);
    expect(times.find((t) => t >= 20_000)).toBeLessThanOrEqual(60_000 / 1.2);
    const total = times.at(-1) ?? 0;
    expect(total).toBeGreaterThan(20 * 3_600_000);
    expect(total).toBeLessThan(26 * 3_600_000);
  });
  it("jitters each wait by ±20 %", () => {
    expect(webhookRetry(3, 1, () => 0)).toBe(4_000);
    expect(webhookRetry(3, 1, () => 0.999_999)).toBe(6_000);
  });
  it("scales for tests", () => {
    expect(webhookRetry(1, 0.001, middle)).toBe(1);
    expect(webhookRetry(9, 0.001, middle)).toBe(300);
  });
});
