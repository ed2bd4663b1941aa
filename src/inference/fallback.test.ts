import { describe, expect, it } from "vitest";
import { BackendError } from "./backend";
import { FallbackBackend, commonCapabilities } from "./fallback";
import { ScriptedModel } from "./mock-model";
import type { GenerateOptions } from "./backend";

const opts: GenerateOptions = {
  purpose: "generate",
  prompt: { user: "q", assistant_prefix: "<SUMMARY>", with_image: false },
  n: 1,
  seeds: [1],
  stop: ["</SUMMARY>"],
  max_tokens: 16,
  temperature: 0,
  top_p: 1,
  logprobs: false,
};

describe("FallbackBackend", () => {
  it("moves to the next backend on a retryable error and records the attempt", async () => {
    const a = new ScriptedModel({ id: "workers-ai:a", sequence: [new BackendError("out of capacity", true, 429)] });
    const b = new ScriptedModel({ id: "openai:b", sequence: ["from b"] });
    let t = 0;
    const chain = new FallbackBackend([a, b], () => (t += 10));
    const r = await chain.generate(opts);
    expect(chain.id).toBe("workers-ai:a");
    expect(r.generations[0]?.text).toBe("from b");
    expect(r.served_by).toBe("openai:b");
    expect(r.attempts).toEqual([
      { backend: "workers-ai:a", error: "out of capacity", retryable: true, status: 429, latency_ms: 10 },
    ]);
  });

  it("a served first try records no attempts", async () => {
    const r = await new FallbackBackend([
      new ScriptedModel({ id: "x:a", sequence: ["ok"] }),
      new ScriptedModel({ id: "x:b", sequence: ["no"] }),
    ]).generate(opts);
    expect(r.served_by).toBe("x:a");
    expect(r.attempts).toBeUndefined();
  });

  it("a non-retryable error is thrown at once, without trying the next backend", async () => {
    const b = new ScriptedModel({ id: "x:b", sequence: ["no"] });
    const chain = new FallbackBackend([
      new ScriptedModel({ id: "x:a", sequence: [new BackendError("bad key", false, 401)] }),
      b,
    ]);
    await expect(chain.generate(opts)).rejects.toMatchObject({ retryable: false, status: 401 });
    expect(b.calls).toHaveLength(0);
  });

  it("when every backend fails: one retryable error naming each, with the last Retry-After", async () => {
    const chain = new FallbackBackend([
      new ScriptedModel({ id: "x:a", sequence: [new BackendError("busy", true, 503)] }),
      new ScriptedModel({ id: "x:b", sequence: [new BackendError("slow down", true, 429, 2000)] }),
    ]);
    const err = (await chain.generate(opts).catch((e: unknown) => e)) as BackendError;
    expect(err).toMatchObject({ retryable: true, status: 429, retry_after_ms: 2000 });
    expect(err.message).toContain("x:a: busy");
    expect(err.message).toContain("x:b: slow down");
  });

  it("the caller's abort is not a reason to fall back", async () => {
    const controller = new AbortController();
    controller.abort(new DOMException("canceled", "AbortError"));
    const b = new ScriptedModel({ id: "x:b", sequence: ["no"] });
    const chain = new FallbackBackend([
      new ScriptedModel({ id: "x:a", sequence: [new DOMException("canceled", "AbortError")] }),
      b,
    ]);
    await expect(chain.generate({ ...opts, signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(b.calls).toHaveLength(0);
  });

  it("capabilities are what every member can do", () => {
    expect(
      commonCapabilities([
        { capabilities: { n: true, stop: true, logprobs: true, prefill: true, vision: true, max_n: 8 } },
        { capabilities: { n: false, stop: false, logprobs: false, prefill: true, vision: true } },
      ]),
    ).toEqual({ n: false, stop: false, logprobs: false, prefill: true, vision: true, max_n: 8 });
  });
});
