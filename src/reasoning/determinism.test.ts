import { describe, expect, it } from "vitest";
import type { Backend } from "../inference/backend";
// eslint-disable-next-line no-restricted-imports -- tests drive the pure core with the mock backend
import { createFixedLatencyModel } from "../inference/mock-model";
import { runInMemory } from "./memory-executor";
import { plan } from "./planner";
import { stepSeed } from "./seeds";
import { makeSpec } from "./testing";
import { buildTrace } from "./trace";
import type { RunSpec, SearchConfig } from "./types";

const withoutN = (backend: Backend): Backend => ({
  id: backend.id,
  capabilities: { ...backend.capabilities, n: false },
  generate: (o) => backend.generate(o),
});

/** Usage legitimately differs when calls are batched (the prompt is counted once per call). */
function withoutUsage(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === "usage" ? undefined : v)));
}

const configs: Array<Partial<SearchConfig>> = [
  { candidates: 4 },
  { candidates: 5, keep: 2 },
  { candidates: 3, scorer: "vote" },
  { strategy: "best_of_n", candidates: 5 },
  { strategy: "greedy" },
];

describe("determinism", () => {
  it("seeds depend only on the run seed and the step id", () => {
    const a = plan(makeSpec({ candidates: 2 }), new Map());
    const b = plan(makeSpec({ candidates: 2 }, { question: "Another question?" }), new Map());
    if (a.status !== "running" || b.status !== "running") throw new Error("running expected");
    expect(a.steps.map((s) => s.request?.seeds)).toEqual(b.steps.map((s) => s.request?.seeds));
    expect(a.steps[0]?.request?.seeds).toEqual([stepSeed(42, "SUMMARY/gen/0.0")]);
  });

  it.each(configs)("the same spec gives the same result and trace (%j)", async (search) => {
    const spec: RunSpec = makeSpec(search);
    const model = createFixedLatencyModel({ id: "mock:fixed", latencyMs: 0 });
    const first = await runInMemory(spec, model, { schedule: "concurrent" });
    const second = await runInMemory(spec, model, { schedule: "concurrent" });
    expect(second.result).toEqual(first.result);
    expect(second.trace).toEqual(first.trace);
    expect(buildTrace(spec, first.done)).toEqual(first.trace);
  });

  it.each(configs)("concurrent and sequential schedules agree (%j)", async (search) => {
    const spec = makeSpec(search);
    const unbatched = withoutN(createFixedLatencyModel({ id: "mock:fixed", latencyMs: 0 }));
    const concurrent = await runInMemory(spec, unbatched, { schedule: "concurrent" });
    const sequential = await runInMemory(spec, unbatched, { schedule: "sequential" });
    expect(sequential.result).toEqual(concurrent.result);
    expect(sequential.trace).toEqual(concurrent.trace);
    expect(sequential.events).toEqual(concurrent.events);
    // The sequential schedule is the reference one: one call per step, one continuation per call.
    expect(sequential.calls.every((c) => c.n === 1)).toBe(true);
    expect(new Set(sequential.calls.map((c) => c.wave)).size).toBe(sequential.calls.length);
    expect(sequential.calls.length).toBe(concurrent.calls.length);

    // With batching (n > 1 per call) only the usage split differs.
    const batched = await runInMemory(spec, createFixedLatencyModel({ id: "mock:fixed", latencyMs: 0 }), {
      schedule: "concurrent",
    });
    expect(batched.result).toEqual(sequential.result);
    expect(withoutUsage(batched.trace)).toEqual(withoutUsage(sequential.trace));
  });

  it("the concurrent schedule needs fewer waves than steps (rounds, not N−1 sequential calls)", async () => {
    const spec = makeSpec({ candidates: 8 });
    const model = createFixedLatencyModel({ id: "mock:fixed", latencyMs: 0 });
    const concurrent = await runInMemory(spec, model, { schedule: "concurrent" });
    const waves = new Set(concurrent.calls.map((c) => c.wave)).size;
    const sequential = await runInMemory(spec, model, { schedule: "sequential" });
    expect(sequential.calls.length).toBeGreaterThan(4 * (8 + 7));
    expect(waves).toBeLessThanOrEqual(4 * (1 + 3) + 1);
  });
});
