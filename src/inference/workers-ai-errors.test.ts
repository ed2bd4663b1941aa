import { describe, expect, it } from "vitest";
import { BackendError } from "./backend";
import { toWorkersAiError } from "./workers-ai-errors";

const M = "@cf/meta/llama-3.2-11b-vision-instruct";

describe("toWorkersAiError", () => {
  it("maps Cloudflare's internal codes", () => {
    expect(
      toWorkersAiError(new Error("AiError: 3040: No more data centers to forward the request to"), M),
    ).toMatchObject({ retryable: true, status: 429 });
    expect(toWorkersAiError(new Error("3008: Request was aborted"), M)).toMatchObject({ retryable: true, status: 408 });
    expect(toWorkersAiError(new Error("AiError: 5005: The model does not support LoRa inference"), M)).toMatchObject({
      retryable: false,
      status: 405,
    });
    expect(toWorkersAiError(new Error("AiError: 3042: The model name is invalid"), M)).toMatchObject({
      retryable: false,
      status: 404,
    });
  });

  it("a licence error (by code or by words) is non-retryable and tells how to agree", () => {
    for (const msg of [
      "AiError: 5016: User has not agreed to Llama3.2 model terms",
      "Please submit the prompt 'agree' to accept the license",
    ]) {
      const e = toWorkersAiError(new Error(msg), M);
      expect(e).toMatchObject({ retryable: false, status: 403 });
      expect(e.message).toContain(`ai/run/${M}`);
      expect(e.message).toContain(`'{"prompt":"agree"}'`);
    }
  });

  it("status-like text, capacity words and unknown errors", () => {
    expect(toWorkersAiError(new Error("upstream status: 503"), M)).toMatchObject({ retryable: true, status: 503 });
    expect(toWorkersAiError(new Error("bad thing (400)"), M)).toMatchObject({ retryable: false, status: 400 });
    expect(toWorkersAiError(new Error("Model is overloaded"), M)).toMatchObject({ retryable: true });
    expect(toWorkersAiError(new Error("Invalid input: '/seed' must be an integer"), M)).toMatchObject({
      retryable: false,
      status: 400,
    });
    expect(toWorkersAiError(Object.assign(new Error("x"), { status: 504 }), M)).toMatchObject({
      retryable: true,
      status: 504,
    });
    expect(toWorkersAiError("something odd", M)).toMatchObject({ retryable: true });
  });

  it("the local stand-in of the binding (no remote access) is non-retryable and says what to do", () => {
    const e = toWorkersAiError(new Error("Binding AI needs to be run remotely"), M);
    expect(e).toMatchObject({ retryable: false, status: 503 });
    expect(e.message).toContain("wrangler dev --remote");
  });

  it("keeps a BackendError as it is", () => {
    const e = new BackendError("x", false, 418);
    expect(toWorkersAiError(e, M)).toBe(e);
  });
});
