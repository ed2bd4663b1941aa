import { describe, expect, it } from "vitest";
import { BackendError, type GenerateOptions } from "../../src/inference/backend";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { deterministicRespond, makeSpec, newRun, waitTerminal } from "../helpers/runs";

function register(
  name: string,
  respond: ConstructorParameters<typeof ScriptedModel>[0]["respond"],
  latencyMs = 0,
): ScriptedModel {
  const model = new ScriptedModel({ id: name, respond, latencyMs });
  testBackends.set(name, model);
  return model;
}

describe("backend failures", () => {
  it("retries a backend that fails twice, then succeeds", async () => {
    let failures = 0;
    const model = register("mock:flaky", (opts: GenerateOptions) => {
      if (failures < 2) {
        failures += 1;
        throw new BackendError("upstream overloaded (503)", true, 503);
      }
      return deterministicRespond(opts);
    });
    const run = newRun("mock:flaky", makeSpec({ strategy: "greedy" }));
    await run.stub.create(run.input);
    const view = await waitTerminal(run.stub);
    expect(view.status).toBe("succeeded");
    expect(failures).toBe(2);
    // greedy: one call per stage, plus the two failed attempts of the first step
    expect(model.calls.length).toBe(4 + 2);
  });

  it("fails a run whose backend always fails, keeping the partial trace and a clear error", async () => {
    let calls = 0;
    register("mock:broken", (opts: GenerateOptions) => {
      calls += 1;
      // SUMMARY and CAPTION work, everything after fails
      if (opts.prompt.assistant_prefix.includes("<REASONING>"))
        throw new BackendError("GPU node unavailable (502)", true, 502);
      return deterministicRespond(opts);
    });
    const run = newRun("mock:broken", makeSpec({ strategy: "greedy" }));
    await run.stub.create(run.input);
    const view = await waitTerminal(run.stub);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("retries_exhausted");
    expect(view.error?.message).toContain("REASONING/gen/0.0");
    expect(view.error?.message).toContain("GPU node unavailable");
    expect(view.answer).toBeNull();
    expect(view.progress.steps_done).toBe(4); // SUMMARY and CAPTION gen + select
    expect(JSON.stringify(view.trace)).toContain("caption draft");
    expect(calls).toBe(2 + 4); // two good calls, four attempts of the failing step
  });

  it("fails at once on a non-retryable error", async () => {
    const model = register("mock:rejecting", () => {
      throw new BackendError("invalid API key (401)", false, 401);
    });
    const run = newRun("mock:rejecting", makeSpec({ strategy: "greedy" }));
    await run.stub.create(run.input);
    const view = await waitTerminal(run.stub);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("backend_rejected");
    expect(view.error?.message).toContain("invalid API key");
    expect(model.calls.length).toBe(1);
  });
});

describe("cancel, deadline and budget", () => {
  it("cancel stops the run: no call is made after it", async () => {
    const model = register("mock:slow", deterministicRespond, 40);
    const run = newRun("mock:slow", makeSpec({ candidates: 4 }));
    await run.stub.create(run.input);
    await new Promise((r) => setTimeout(r, 60));
    const canceled = await run.stub.cancel();
    expect(canceled?.status).toBe("canceled");
    const callsAtCancel = model.calls.length;
    await new Promise((r) => setTimeout(r, 200));
    const view = await run.stub.view();
    expect(view?.status).toBe("canceled");
    expect(view?.error?.code).toBe("canceled");
    expect(model.calls.length).toBe(callsAtCancel);
    // cancelling again is harmless
    expect((await run.stub.cancel())?.status).toBe("canceled");
  });

  it("a deadline ends the run cleanly with a reason", async () => {
    register("mock:slow-deadline", deterministicRespond, 50);
    const run = newRun("mock:slow-deadline", makeSpec({ candidates: 4 }), { deadline_at: Date.now() + 120 });
    await run.stub.create(run.input);
    const view = await waitTerminal(run.stub);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("deadline_exceeded");
    expect(view.error?.message).toContain("deadline");
  });

  it("a token limit ends the run before a call that could pass it, keeping the trace", async () => {
    // deterministicRespond reports 10 input tokens per continuation: at most 40 a call (n ≤ 4).
    testBackends.set(
      "mock:budget",
      new ScriptedModel({ id: "mock:budget", respond: deterministicRespond, inputTokens: () => 40 }),
    );
    const run = newRun("mock:budget", makeSpec({ candidates: 4 }), { max_total_tokens: 300 });
    await run.stub.create(run.input);
    const view = await waitTerminal(run.stub);
    expect(view.status).toBe("failed");
    expect(view.error?.code).toBe("token_limit_exceeded");
    expect(view.error?.message).toContain("max_total_tokens=300");
    expect(view.usage.total_tokens).toBeLessThanOrEqual(300);
    expect(view.progress.steps_done).toBeGreaterThan(0);
    expect(JSON.stringify(view.trace)).toContain("summary draft");
  });
});
