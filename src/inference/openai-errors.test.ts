import { describe, expect, it } from "vitest";
import { errorMessageFromBody, httpError, rejectsN, retryAfterMs } from "./openai-errors";

describe("openai errors", () => {
  it("Retry-After: seconds, HTTP-date, retry-after-ms, garbage", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "3" }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }), now)).toBe(10_000);
    expect(retryAfterMs(new Headers({ "retry-after": "Wed, 31 Dec 2025 00:00:00 GMT" }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it("reads the message of every common error shape", () => {
    expect(errorMessageFromBody('{"error":{"message":"bad key"}}')).toBe("bad key");
    expect(errorMessageFromBody('{"object":"error","message":"too long"}')).toBe("too long");
    expect(errorMessageFromBody('{"error":"CUDA OOM","error_type":"generation"}')).toBe("CUDA OOM");
    expect(errorMessageFromBody('{"detail":"Not Found"}')).toBe("Not Found");
    expect(errorMessageFromBody("<h1>502</h1>\n")).toBe("<h1>502</h1>");
    expect(errorMessageFromBody("")).toBe("(empty body)");
  });

  it("recognises a refusal of n, and only that", () => {
    expect(rejectsN(400, '{"error":{"message":"x","param":"n"}}')).toBe(true);
    expect(rejectsN(400, '{"message":"n must be 1 when using greedy sampling"}')).toBe(true);
    expect(rejectsN(400, '{"error":"Only n=1 is supported"}')).toBe(true);
    expect(rejectsN(400, '{"message":"maximum context length is 8192 tokens"}')).toBe(false);
    expect(rejectsN(500, '{"error":{"param":"n"}}')).toBe(false);
  });

  it("maps statuses to retryable or not, with Retry-After only when retryable", () => {
    const h = new Headers({ "retry-after": "1" });
    expect(httpError(429, "{}", h, "s")).toMatchObject({ retryable: true, retry_after_ms: 1000 });
    expect(httpError(408, "{}", h, "s")).toMatchObject({ retryable: true });
    expect(httpError(409, "{}", h, "s")).toMatchObject({ retryable: true });
    expect(httpError(502, "{}", h, "s")).toMatchObject({ retryable: true });
    expect(httpError(400, "{}", h, "s")).toMatchObject({ retryable: false, retry_after_ms: undefined });
    expect(httpError(403, "{}", h, "s").message).toContain("OPENAI_API_KEY");
    expect(httpError(422, "{}", h, "s")).toMatchObject({ retryable: false });
  });
});
