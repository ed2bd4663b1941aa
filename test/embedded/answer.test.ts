import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EmbeddedBackend } from "../../src/inference/embedded";
import { getModelInfo } from "../../src/inference/registry";
import { runInMemory } from "../../src/reasoning/memory-executor";
import { normalizeAnswer } from "../../src/reasoning/normalize";
import { buildStagePrompt } from "../../src/reasoning/prompts";
import { STAGES } from "../../src/reasoning/stages";
import type { RunSpec, SearchConfig } from "../../src/reasoning/types";
import { sample, sharedModel } from "./helpers";

const backend = new EmbeddedBackend({ id: "embedded:x1-shapes-tiny", model: sharedModel });

function spec(question: string, search: SearchConfig, temperature = 0.6, seed = 7): RunSpec {
  return { question, has_image: true, search, sampling: { temperature, top_p: 0.95, max_tokens_per_stage: 128, seed } };
}

describe("the embedded backend answers a committed sample image inside workerd", () => {
  const s = sample("count_shape");
  const image = { bytes: s.png, media_type: "image/png" as const };

  it("greedy: all four stages, the right answer, counted usage and logprobs", async () => {
    const run = await runInMemory(
      spec(s.question, { strategy: "greedy", candidates: 1, keep: 1, scorer: "logprob" }),
      backend,
      { image, schedule: "concurrent" },
    );
    for (const stage of STAGES) expect(run.result.stages[stage].length, stage).toBeGreaterThan(0);
    expect(normalizeAnswer(run.result.answer)).toBe(normalizeAnswer(s.answer));
    const outputs = [...run.done.values()].filter((o) => o.backend === backend.id);
    expect(outputs).toHaveLength(4);
    for (const o of outputs) {
      expect(o.usage.input_tokens).toBeGreaterThan(9);
      expect(o.usage.output_tokens).toBeGreaterThan(0);
      expect(o.usage.estimated).toBeUndefined();
      expect(o.mean_logprobs?.[0]).toBeLessThanOrEqual(0);
    }
  });

  it("stage_beam N=4 with the judge: candidates decoded in one batch, judged by the same model", async () => {
    // Seed 8: run 13 is sure enough of this easy sample that seed 7's four candidates are twins at
    // every stage (merged, so no match is played); seed 8 samples two different ones somewhere.
    const run = await runInMemory(
      spec(s.question, { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge" }, 1.0, 8),
      backend,
      { image, schedule: "concurrent" },
    );
    expect(normalizeAnswer(run.result.answer)).toBe(normalizeAnswer(s.answer));
    expect(run.calls.some((c) => c.purpose === "generate" && c.n === 4)).toBe(true);
    expect(run.calls.some((c) => c.purpose === "judge")).toBe(true);
  });

  it("decodes n candidates with per-candidate seeds, stops at the closing tag, reproducibly", async () => {
    const call = {
      purpose: "generate" as const,
      prompt: buildStagePrompt(s.question, {}, "SUMMARY"),
      n: 3,
      seeds: [11, 12, 13],
      stop: ["</SUMMARY>"],
      max_tokens: 64,
      temperature: 1.0,
      top_p: 0.95,
      logprobs: true,
      image,
    };
    const a = await backend.generate(call);
    const b = await backend.generate(call);
    expect(a.generations).toHaveLength(3);
    expect(a.generations.map((g) => g.text)).toEqual(b.generations.map((g) => g.text));
    for (const g of a.generations) {
      expect(g.text).not.toContain("</SUMMARY>");
      expect(g.finish_reason).toBe("stop");
      expect(g.mean_logprob).toBeLessThan(0);
    }
    expect(a.usage.input_tokens).toBe((await sharedModel()).tokenizer.encodePrompt(call.prompt).length);
    const short = await backend.generate({ ...call, n: 1, max_tokens: 3 });
    expect(short.generations[0]?.finish_reason).toBe("length");
    expect(short.usage.output_tokens).toBe(3);
  });

  it("is served by the registry as embedded:x1-shapes-tiny with its capabilities", () => {
    const info = getModelInfo({ ...env, MODELS: "embedded:x1-shapes-tiny" }, "embedded:x1-shapes-tiny");
    expect(info?.status).toBe("ready");
    expect(info?.capabilities).toMatchObject({ n: true, stop: true, logprobs: true, prefill: true, vision: true });
    const broken = getModelInfo({ ...env, MODELS: "embedded:nope" }, "embedded:nope");
    expect(broken?.status).toBe("unavailable");
  });
});
