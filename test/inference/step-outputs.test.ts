/** The core's side of fallback chains: toStepOutputs records who served a call and what failed first. */
import { describe, expect, it } from "vitest";
import type { GenerateResult } from "../../src/inference/backend";
import { toStepOutputs } from "../../src/reasoning/batching";
import type { StepSpec } from "../../src/reasoning/types";
import { request } from "./helpers";

const step = (id: string): StepSpec => ({ id, kind: "generate", stage: "SUMMARY", request: request() });

describe("toStepOutputs with a fallback result", () => {
  it("uses served_by as the step's backend and copies the attempts to every step of the call", () => {
    const result: GenerateResult = {
      generations: [
        { text: "a", finish_reason: "stop" },
        { text: "b", finish_reason: "stop" },
      ],
      usage: {},
      warnings: [],
      served_by: "openai:llava-cot",
      attempts: [{ backend: "workers-ai:m", error: "out of capacity", retryable: true, status: 429, latency_ms: 12 }],
    };
    const outs = toStepOutputs([step("SUMMARY/gen/0.0"), step("SUMMARY/gen/0.1")], result, "workers-ai:m", 40);
    for (const o of outs) {
      expect(o.backend).toBe("openai:llava-cot");
      expect(o.fallback).toEqual(result.attempts);
      expect(o.fallback).not.toBe(result.attempts);
    }
  });

  it("without served_by: the called backend, and no fallback field", () => {
    const [o] = toStepOutputs(
      [step("SUMMARY/gen/0.0")],
      { generations: [{ text: "a", finish_reason: "stop" }], usage: {}, warnings: [] },
      "mock:x",
      1,
    );
    expect(o?.backend).toBe("mock:x");
    expect(o).not.toHaveProperty("fallback");
  });
});
