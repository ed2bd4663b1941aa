/**
 * Test-only helpers for the reasoning tests (never imported by production code): run specs and
 * scripted models that answer by purpose.
 */
import type { GenerateOptions, Generation } from "../inference/backend";
// eslint-disable-next-line no-restricted-imports -- tests drive the pure core with the mock backend
import { ScriptedModel, type ScriptedModelOptions, type ScriptedReply } from "../inference/mock-model";
import type { RunSpec, SearchConfig } from "./types";

export function makeSpec(
  search: Partial<SearchConfig> = {},
  overrides: Partial<Omit<RunSpec, "search">> = {},
): RunSpec {
  return {
    question: "How many red circles are there?",
    has_image: true,
    search: { strategy: "stage_beam", candidates: 2, keep: 1, scorer: "judge", ...search },
    sampling: { temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 256, seed: 42 },
    ...overrides,
  };
}

/** The stage a generate call continues (from the open tag at the end of its prefix). */
export function stageOf(options: GenerateOptions): string {
  return /<(SUMMARY|CAPTION|REASONING|CONCLUSION)>$/.exec(options.prompt.assistant_prefix)?.[1] ?? "?";
}

/** Response 1 and Response 2 as shown in a judge prompt. */
export function responsesOf(options: GenerateOptions): [string, string] {
  const m = /Response 1:\n([\s\S]*)\n\nResponse 2:\n([\s\S]*)$/.exec(options.prompt.user);
  return [m?.[1] ?? "", m?.[2] ?? ""];
}

export interface Script {
  /** Text for a generate call; default: distinct per seed. */
  generate?: (stage: string, seed: number, options: GenerateOptions) => ScriptedReply;
  /** Judge reply; default: the longer response wins, ties → 1. */
  judge?: (first: string, second: string, options: GenerateOptions) => string;
  /** Self-check reply; default CORRECT. */
  check?: (reasoning: string, options: GenerateOptions) => string;
}

/** A ScriptedModel answering generate/judge/check calls by purpose, one text per seed. */
export function scriptedModel(
  script: Script = {},
  options: Omit<ScriptedModelOptions, "respond" | "sequence"> = {},
): ScriptedModel {
  return new ScriptedModel({
    ...options,
    respond(call) {
      if (call.purpose === "judge") {
        const [a, b] = responsesOf(call);
        return (
          script.judge?.(a, b, call) ??
          `Response ${b.length > a.length ? 2 : 1} is more complete.\nVERDICT: ${b.length > a.length ? 2 : 1}`
        );
      }
      if (call.purpose === "check") {
        const reasoning = /Reasoning:\n([\s\S]*)$/.exec(call.prompt.user)?.[1] ?? "";
        return script.check?.(reasoning, call) ?? "CHECK: CORRECT";
      }
      const stage = stageOf(call);
      if (script.generate) {
        const generate = script.generate;
        const replies = call.seeds.map((seed) => generate(stage, seed, call));
        if (replies.length === 1) return replies[0] as ScriptedReply;
        // A coalesced call: one generation per seed, whatever form each scripted reply took.
        const generations = replies.flatMap((r): Generation[] =>
          typeof r === "string"
            ? [{ text: r, finish_reason: "stop" }]
            : Array.isArray(r)
              ? r.map((text) => ({ text, finish_reason: "stop" as const }))
              : r.generations,
        );
        return { generations, usage: {}, warnings: [] };
      }
      return call.seeds.map((seed) => `${stage} candidate ${seed.toString(16)} ${"x".repeat(seed % 7)}`);
    },
  });
}
