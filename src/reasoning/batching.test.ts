import { describe, expect, it } from "vitest";
import type { BackendCapabilities } from "../inference/backend";
import { coalesceGenerateSteps, toStepOutputs } from "./batching";
import { plan } from "./planner";
import { makeSpec } from "./testing";
import type { StepSpec } from "./types";

const caps = (extra: Partial<BackendCapabilities> = {}): BackendCapabilities => ({
  n: true,
  stop: true,
  logprobs: true,
  prefill: true,
  vision: true,
  ...extra,
});

function firstGenSteps(candidates: number): StepSpec[] {
  const p = plan(makeSpec({ candidates }), new Map());
  if (p.status !== "running") throw new Error("expected a running plan");
  return p.steps;
}

describe("coalesceGenerateSteps", () => {
  it("groups identical generate requests into one call with the concatenated seeds", () => {
    const steps = firstGenSteps(4);
    const batches = coalesceGenerateSteps(steps, caps());
    expect(batches).toHaveLength(1);
    expect(batches[0]?.request.n).toBe(4);
    expect(batches[0]?.request.seeds).toEqual(steps.map((s) => s.request?.seeds[0]));
  });

  it("respects capabilities.n and max_n", () => {
    expect(coalesceGenerateSteps(firstGenSteps(4), caps({ n: false })).map((b) => b.request.n)).toEqual([1, 1, 1, 1]);
    expect(coalesceGenerateSteps(firstGenSteps(5), caps({ max_n: 2 })).map((b) => b.request.n)).toEqual([2, 2, 1]);
  });

  it("never groups judge calls and leaves local steps out", () => {
    const judge = (id: string): StepSpec => ({
      id,
      kind: "match",
      stage: "CAPTION",
      request: {
        purpose: "judge",
        prompt: { user: "same", assistant_prefix: "", with_image: true },
        n: 1,
        seeds: [1],
        stop: [],
        max_tokens: 1,
        temperature: 0,
        top_p: 1,
        logprobs: false,
      },
    });
    const batches = coalesceGenerateSteps(
      [judge("a"), judge("b"), { id: "CAPTION/select", kind: "select", stage: "CAPTION" }],
      caps(),
    );
    expect(batches.map((b) => b.steps.map((s) => s.id))).toEqual([["a"], ["b"]]);
  });
});

describe("toStepOutputs", () => {
  const steps = firstGenSteps(3);

  it("splits generations in order and usage evenly with exact totals", () => {
    const outs = toStepOutputs(
      steps,
      {
        generations: [
          { text: "a", finish_reason: "stop", mean_logprob: -1 },
          { text: "b", finish_reason: "length" },
          { text: "c", finish_reason: "stop" },
        ],
        usage: { input_tokens: 10, output_tokens: 7 },
        warnings: ["top_p ignored"],
      },
      "mock:x",
      12,
    );
    expect(outs.map((o) => o.texts[0])).toEqual(["a", "b", "c"]);
    expect(outs.map((o) => o.usage.input_tokens)).toEqual([4, 3, 3]);
    expect(outs.reduce((s, o) => s + (o.usage.output_tokens ?? 0), 0)).toBe(7);
    expect(outs.every((o) => o.usage.estimated === undefined)).toBe(true);
    expect(outs[0]).toMatchObject({
      mean_logprobs: [-1],
      backend: "mock:x",
      latency_ms: 12,
      warnings: ["top_p ignored"],
      finish_reasons: ["stop"],
    });
    expect(outs[1]?.mean_logprobs).toBeUndefined();
  });

  it("keeps unknown usage unknown and estimated usage estimated", () => {
    const gens = steps.map(() => ({ text: "x", finish_reason: "stop" as const }));
    expect(toStepOutputs(steps, { generations: gens, usage: {}, warnings: [] }, "m", 0)[0]?.usage).toEqual({});
    expect(
      toStepOutputs(steps, { generations: gens, usage: { output_tokens: 3, estimated: true }, warnings: [] }, "m", 0)[2]
        ?.usage,
    ).toEqual({ output_tokens: 1, estimated: true });
  });

  it("throws when the backend returns fewer generations than asked", () => {
    expect(() => toStepOutputs(steps, { generations: [], usage: {}, warnings: [] }, "m", 0)).toThrow(
      /0 generations for 3/,
    );
  });
});
