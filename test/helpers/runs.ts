/** Helpers for tests that drive `ReasoningRun` objects directly over RPC. */
import { env } from "cloudflare:test";
import type { GenerateOptions, GenerateResult } from "../../src/inference/backend";
import type { CreateRunInput, RunView } from "../../src/runs/contract";
import type { ReasoningRun } from "../../src/runs/reasoning-run";
import type { RunSpec, SearchConfig } from "../../src/reasoning/types";

export function makeSpec(search: Partial<SearchConfig> = {}, seed = 7): RunSpec {
  return {
    question: "How many red circles are there?",
    has_image: false,
    search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge", ...search },
    sampling: { temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 128, seed },
  };
}

export function newRun(model: string, spec: RunSpec, limits: Partial<CreateRunInput["limits"]> = {}) {
  const id = env.RUNS.newUniqueId();
  const stub = env.RUNS.get(id);
  const input: CreateRunInput = {
    id: `run_${id.toString()}`,
    model,
    spec,
    limits: { deadline_at: Date.now() + 60_000, ...limits },
    created_at: Date.now(),
  };
  return { stub, input, runId: input.id };
}

export async function waitTerminal(stub: DurableObjectStub<ReasoningRun>, ms = 20_000): Promise<RunView> {
  const view = await stub.wait(ms);
  if (!view) throw new Error("no run");
  return view;
}

/** The stage a generate call is for: the last opening tag of its assistant prefix. */
export function stageOf(opts: GenerateOptions): string {
  const tags = [...opts.prompt.assistant_prefix.matchAll(/<(SUMMARY|CAPTION|REASONING|CONCLUSION)>/g)];
  return tags.at(-1)?.[1] ?? "SUMMARY";
}

/**
 * A deterministic scripted model: every output depends only on the call's seeds, so a step that
 * runs twice gives the same text, as the embedded backend does.
 */
export function deterministicRespond(opts: GenerateOptions): GenerateResult {
  const texts = opts.seeds.map((seed) => {
    if (opts.purpose === "judge") return `Response ${(seed % 2) + 1} is more careful. VERDICT: ${(seed % 2) + 1}`;
    if (opts.purpose === "check") return seed % 5 === 0 ? "CHECK: INCORRECT" : "CHECK: CORRECT";
    const stage = stageOf(opts);
    return `${stage.toLowerCase()} draft ${seed % 9973}</${stage}>`;
  });
  return {
    generations: texts.map((text, i) => ({
      text,
      finish_reason: "stop",
      mean_logprob: -((opts.seeds[i] ?? 0) % 100) / 50,
    })),
    usage: { input_tokens: 10 * texts.length, output_tokens: 5 * texts.length },
    warnings: [],
  };
}

/** Drop what legitimately differs between two equal runs (wall-clock figures). */
export function withoutTimings(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === "latency_ms" || k === "at" ? undefined : v)));
}
