import { describe, expect, it } from "vitest";
import { WEBHOOK_SCHEDULE_MS, webhookRetry } from "./outbox";

describe("webhook retry schedule", () => {
  it("follows the Standard Webhooks schedule, then gives up", () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((n) => webhookRetry(n, 1));
    expect(waits).toEqual(WEBHOOK_SCHEDULE_MS.slice(1));
    expect(webhookRetry(8, 1)).toBeNull(); // 8 attempts in all
  });
  it("scales for tests", () => {
    expect(webhookRetry(1, 0.001)).toBe(5);
    expect(webhookRetry(2, 0.001)).toBe(300);
  });
});
