/**
 * Step ids, per-stage settings and the backend requests of model steps. Ids are stable strings
 * (persisted as primary keys), and every seed derives from the run seed and the id alone.
 */
import { buildAnswerPrompt, buildStagePrompt, ANSWER_STOP } from "./prompts";
import { stepSeed } from "./seeds";
import { closeTag, type Stage } from "./stages";
import type { CallPurpose, Prompt, RunSpec, ScorerName, StepKind, StepSpec } from "./types";

/** A stage of the beam, or `ANSWER` for best_of_n's whole answers. */
export type StageKey = Stage | "ANSWER";

export const genId = (stage: StageKey, prefix: number, index: number): string => `${stage}/gen/${prefix}.${index}`;
export const checkId = (label: string): string => `REASONING/check/${label}`;
export const matchId = (stage: StageKey, round: number, index: number): string => `${stage}/match/${round}/${index}`;
/** The same match judged with its two responses swapped (search.judge_orders = 2). */
export const swappedMatchId = (id: string): string => `${id}/swapped`;
export const selectId = (stage: StageKey): string => `${stage}/select`;
/** The verifier's score of one candidate (`CAPTION/verify/0.2`, by the candidate's label). */
export const verifyId = (stage: StageKey, label: string): string => `${stage}/verify/${label}`;
export const bracketSeedKey = (stage: StageKey): string => `${stage}/bracket`;

/** Judge replies: a rationale plus the verdict line. The embedded judge copies each response against its own reference (up to 180 tokens on X1-Shapes); 256 leave room for a wordy model. */
export const JUDGE_MAX_TOKENS = 256;
/** A self-check reply is one line: `CHECK: INCORRECT` is well under 24 tokens. */
export const CHECK_MAX_TOKENS = 24;

/** The prompt that writes `stage` after the accepted stages (`ANSWER`: the whole answer at once). */
function promptFor(spec: RunSpec, stage: StageKey, accepted: Partial<Record<Stage, string>>): Prompt {
  return stage === "ANSWER"
    ? buildAnswerPrompt(spec.question, spec.has_image)
    : buildStagePrompt(spec.question, accepted, stage, spec.has_image);
}

export interface StageSettings {
  candidates: number;
  /** `none`: greedy, the single candidate is selected. */
  scorer: ScorerName | "none";
  temperature: number;
  top_p: number;
  max_tokens: number;
  /** How many of the ranking become the next stage's prefixes. */
  keep: number;
}

/** The settings of one stage: the search config, its per-stage override, the strategy's rules. */
export function stageSettings(spec: RunSpec, stage: StageKey): StageSettings {
  const { search, sampling } = spec;
  if (search.strategy === "greedy") {
    return {
      candidates: 1,
      scorer: "none",
      temperature: 0,
      top_p: sampling.top_p,
      max_tokens: sampling.max_tokens_per_stage,
      keep: 1,
    };
  }
  if (stage === "ANSWER") {
    return {
      candidates: Math.max(1, search.candidates),
      scorer: search.scorer,
      temperature: sampling.temperature,
      top_p: sampling.top_p,
      max_tokens: 4 * sampling.max_tokens_per_stage,
      keep: 1,
    };
  }
  const override = search.stages?.[stage] ?? {};
  return {
    candidates: Math.max(1, override.candidates ?? search.candidates),
    scorer: override.scorer ?? search.scorer,
    temperature: override.temperature ?? sampling.temperature,
    top_p: sampling.top_p,
    max_tokens: override.max_tokens ?? sampling.max_tokens_per_stage,
    // The last stage's winner is the answer: keeping more would only widen nothing.
    keep: stage === "CONCLUSION" ? 1 : Math.max(1, search.keep),
  };
}

/** One candidate per generate step: n = 1 and the step's own seed, so coalescing can regroup them freely. */
export function generateStep(
  spec: RunSpec,
  stage: StageKey,
  prefix: { index: number; accepted: Partial<Record<Stage, string>> },
  index: number,
): StepSpec {
  const id = genId(stage, prefix.index, index);
  const settings = stageSettings(spec, stage);
  const prompt = promptFor(spec, stage, prefix.accepted);
  return {
    id,
    kind: "generate",
    stage,
    request: {
      purpose: "generate",
      prompt,
      n: 1,
      seeds: [stepSeed(spec.sampling.seed, id)],
      stop: [stage === "ANSWER" ? ANSWER_STOP : closeTag(stage)],
      max_tokens: settings.max_tokens,
      temperature: settings.temperature,
      top_p: settings.top_p,
      // Cheap to ask for; the logprob scorer, bracket ties and the judge fallback use it.
      logprobs: true,
    },
  };
}

/**
 * A judge or self-check call: temperature 0 and no stop sequence — the verdict is the reply's
 * last line, so a stop would cut it; max_tokens bounds the reply instead.
 */
export function evaluationStep(
  spec: RunSpec,
  id: string,
  kind: StepKind,
  stage: StageKey,
  purpose: CallPurpose,
  prompt: Prompt,
): StepSpec {
  return {
    id,
    kind,
    stage,
    request: {
      purpose,
      prompt,
      n: 1,
      seeds: [stepSeed(spec.sampling.seed, id)],
      stop: [],
      max_tokens: purpose === "check" ? CHECK_MAX_TOKENS : JUDGE_MAX_TOKENS,
      temperature: 0,
      top_p: 1,
      logprobs: false,
    },
  };
}

/** The verifier's score of one candidate: one forward pass, nothing generated. */
export function verifyStep(
  spec: RunSpec,
  stage: StageKey,
  candidate: { label: string; text: string; accepted: Partial<Record<Stage, string>> },
): StepSpec {
  const id = verifyId(stage, candidate.label);
  const prompt = promptFor(spec, stage, candidate.accepted);
  return {
    id,
    kind: "verify",
    stage,
    request: {
      purpose: "verify",
      prompt,
      n: 1,
      seeds: [stepSeed(spec.sampling.seed, id)],
      stop: [],
      max_tokens: 1,
      temperature: 0,
      top_p: 1,
      logprobs: true,
      verify: {
        stage,
        question: spec.question,
        context: stage === "ANSWER" ? {} : candidate.accepted,
        candidate: candidate.text,
        with_image: spec.has_image,
      },
    },
  };
}

/** A step computed by `runLocalStep`, without a backend. */
export function localStep(id: string, kind: StepKind, stage: StageKey): StepSpec {
  return { id, kind, stage };
}
