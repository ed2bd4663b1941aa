/**
 * Items (a scene and a question with everything the model learns from it) and the one place where
 * they become training text: the service's own prompt builders (src/reasoning/), so the model is
 * trained on exactly the prompts the engine sends.
 */
import { buildJudgePrompt, buildSelfCheckPrompt } from "../../src/reasoning/judge";
import { buildStagePrompt } from "../../src/reasoning/prompts";
import { renderStages } from "../../src/reasoning/parser";
import { STAGES, type Stage } from "../../src/reasoning/stages";
import { VERIFY_NO, VERIFY_YES, buildVerifyPrompt } from "../../src/reasoning/verify";
import type { Prompt } from "../../src/reasoning/types";
import { type Rng, pick, shuffle, substream } from "./prng";
import { type Scene, randomScene } from "./scene";
import { FAMILIES, type Family, LETTERS, type Params, type Stages, solve } from "./families";
import type { LookupDrill } from "./lookup";
import { choose } from "./choose";
import { type JudgedStage, slip, wrongCandidate } from "./corrupt";
import { type JudgeFormat, judgeReply } from "./judge-reply";

export const SPLITS = { train: 1_000_000, dev: 2_000_000, test: 3_000_000 } as const;
export type Split = keyof typeof SPLITS;
/** Scene seeds of a split: base + index, index < SPLIT_SPAN; the ranges never overlap. */
export const SPLIT_SPAN = 1_000_000;

/** The direct-answer form (no stages): our own, not one of the engine's prompts. */
export const DIRECT_SUFFIX = "\nAnswer with a single word, number or option.";

export interface JudgeItem {
  stage: JudgedStage;
  context: Partial<Stages>;
  first: string;
  second: string;
  better: 1 | 2;
  kind: string;
  why: string;
  /** What the judged stage should say (the judge writes it first, then checks each response against it); none for SUMMARY. */
  reference?: string;
}

export interface CheckItem {
  context: Partial<Stages>;
  reasoning: string;
  label: "CORRECT" | "INCORRECT";
  kind: string;
}

export interface Item {
  id: string;
  split: Split;
  seed: number;
  family: Family;
  params: Params;
  question: string;
  answer: string;
  stages: Stages;
  direct_answer: string;
  judge: JudgeItem[];
  selfcheck: CheckItem[];
}

const JUDGED: JudgedStage[] = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION", "ANSWER"];

function contextFor(stage: JudgedStage, stages: Stages): Partial<Stages> {
  if (stage === "ANSWER") return {};
  const ctx: Partial<Stages> = {};
  for (const s of STAGES) {
    if (s === stage) break;
    ctx[s] = stages[s];
  }
  return ctx;
}

/** The judge's own version of the judged stage: the stage itself, or for a whole answer its reasoning and conclusion. */
function referenceFor(stage: JudgedStage, stages: Stages): string {
  return stage === "ANSWER" ? `${stages.REASONING} Answer: ${stages.CONCLUSION}.` : stages[stage];
}

/** What a mined wrong stage is said to get wrong (the words of the planted kinds it resembles). */
const MINED_WHY: Partial<Record<JudgedStage, string>> = {
  CAPTION: "does not match the image",
  REASONING: "makes a mistake",
};

/**
 * Judge items from the model's own wrong sample of a stage (tools/train/mine.py), in both orders
 * so that neither response position is the right one more often: the reference stage against the
 * sample, with the reference earlier stages as context and the reference as the judge's check.
 */
export function minedJudgeItems(item: Item, stage: "CAPTION" | "REASONING", wrong: string): JudgeItem[] {
  const good = item.stages[stage];
  if (wrong === good) return [];
  const base = {
    stage,
    context: contextFor(stage, item.stages),
    kind: "mined",
    why: MINED_WHY[stage] as string,
    reference: referenceFor(stage, item.stages),
  };
  return [
    { ...base, first: good, second: wrong, better: 1 },
    { ...base, first: wrong, second: good, better: 2 },
  ];
}

export function sceneFor(split: Split, index: number): Scene {
  const seed = SPLITS[split] + index;
  return randomScene(seed, substream(seed, 0));
}

/** Families of the questions asked about scene `index`: train asks 3 different ones, dev/test one, round robin. */
export function familiesFor(split: Split, index: number, perScene: number): Family[] {
  if (split !== "train") return [FAMILIES[index % FAMILIES.length] as Family];
  return shuffle(substream(SPLITS[split] + index, 1), FAMILIES).slice(0, perScene);
}

/**
 * How a multiple-choice reasoning picks its option: naming the letter (runs 1-21, the default),
 * walking the options in order first (families.ts optionWalk; the run 11 experiment, not kept), or
 * walking them after restating the value it looks for (check; runs 22-23, the shipped model).
 */
export const CHOICE_FORMATS = ["letter", "walk", "check"] as const;
export type ChoiceFormat = (typeof CHOICE_FORMATS)[number];

export function makeItem(
  split: Split,
  index: number,
  scene: Scene,
  family: Family,
  q: number,
  choiceFormat: ChoiceFormat = "letter",
): Item {
  const seed = scene.seed;
  const rng = substream(seed, 10 + q);
  const chosen = choose(family, rng, scene);
  const params: Params =
    chosen.kind === "choice" && choiceFormat !== "letter" ? { ...chosen, format: choiceFormat } : chosen;
  const right = solve(scene, params);
  const jrng = substream(seed, 100 + q);
  const judge: JudgeItem[] = [];
  for (const stage of JUDGED) {
    const wrong = wrongCandidate(jrng, scene, params, right, stage);
    if (!wrong) continue;
    const good = stage === "ANSWER" ? renderStages(right.stages) : right.stages[stage];
    if (wrong.text === good) continue;
    const better = jrng() < 0.5 ? 1 : 2;
    judge.push({
      stage,
      context: contextFor(stage, right.stages),
      first: better === 1 ? good : wrong.text,
      second: better === 1 ? wrong.text : good,
      better,
      kind: wrong.kind,
      why: wrong.why,
      ...(stage === "SUMMARY" ? {} : { reference: referenceFor(stage, right.stages) }),
    });
  }
  const selfcheck: CheckItem[] = [];
  const ctx = contextFor("REASONING", right.stages);
  if (jrng() < 0.5)
    selfcheck.push({ context: ctx, reasoning: right.stages.REASONING, label: "CORRECT", kind: "right" });
  else {
    const wrong = wrongCandidate(jrng, scene, params, right, "REASONING") ?? {
      text: slip(jrng, right.stages.REASONING) ?? "",
      kind: "slip",
    };
    if (wrong.text && wrong.text !== right.stages.REASONING)
      selfcheck.push({ context: ctx, reasoning: wrong.text, label: "INCORRECT", kind: wrong.kind });
    else selfcheck.push({ context: ctx, reasoning: right.stages.REASONING, label: "CORRECT", kind: "right" });
  }
  return {
    id: `${split}-${index}-${q}`,
    split,
    seed,
    family,
    params,
    question: right.question,
    answer: right.answer,
    stages: right.stages,
    direct_answer: right.answer,
    judge,
    selfcheck,
  };
}

// ---------------------------------------------------------------- training text

export type ExampleKind = "stages" | "direct" | "judge" | "check" | "lookup";
/** In the order tools/train/data.py KINDS reads them (the index row stores the position). */
export const EXAMPLE_KINDS: ExampleKind[] = ["stages", "direct", "judge", "check", "lookup"];

export interface Example {
  kind: ExampleKind;
  family: Family;
  item: string;
  prompt: Prompt;
  completion: string;
  /** Judge: the better response (1|2) and the stage judged; check: the label; stages/direct: the answer. */
  label: string;
  stage?: JudgedStage;
  /** Evaluation sets: examples of one group compete (the verifier's candidates of one stage and prefix). */
  group?: number;
}

/** An option-lookup drill (lookup.ts) as training text, asked about scene `index` of `split`'s image. */
export function lookupExample(split: Split, index: number, k: number, drill: LookupDrill): Example {
  return {
    family: "choice",
    item: `${split}-${index}-lookup${k}`,
    kind: "lookup",
    prompt: { user: drill.question, assistant_prefix: "", with_image: true },
    completion: drill.completion,
    label: `(${LETTERS[drill.target]})`,
  };
}

/** Where a multiple-choice REASONING names its letter (families.ts solveChoice). */
const LETTER_CUE = "That is option (";

/**
 * The same multiple-choice question with its options in other orders, as training text whose loss
 * starts at the letter (lookup.ts says why). Only the option list and the letter differ from the
 * item's own answer, so the letter can only come from looking the value up in the question's list,
 * across the whole answer written since — the distance the short drills do not cover.
 */
export function reorderedChoiceExamples(item: Item, scene: Scene, k: number, rng: Rng): Example[] {
  const params = item.params;
  if (params.kind !== "choice") return [];
  const out: Example[] = [];
  const seen = new Set([params.options.join("|")]);
  for (let t = 0; t < 8 * k && out.length < k; t++) {
    const options = shuffle(rng, params.options);
    if (seen.has(options.join("|"))) continue;
    seen.add(options.join("|"));
    const right = solve(scene, { ...params, options });
    const full = renderStages(right.stages);
    const cut = full.indexOf(LETTER_CUE);
    if (cut < 0) return out; // "No option matches": no letter to look up, whatever the order
    const first = buildStagePrompt(right.question, {}, "SUMMARY");
    out.push({
      family: "choice",
      item: `${item.id}-order${out.length}`,
      kind: "lookup",
      prompt: { ...first, assistant_prefix: full.slice(0, cut + LETTER_CUE.length) },
      completion: full.slice(cut + LETTER_CUE.length),
      label: right.answer,
    });
  }
  return out;
}

/** All stage prompts continue one text (stage-independent user turn), so one sequence teaches all four. */
function stageExamples(item: Item): { prompt: Prompt; completion: string }[] {
  const full = renderStages(item.stages);
  const first = buildStagePrompt(item.question, {}, "SUMMARY");
  const oneSequence = STAGES.every((stage, k) => {
    const accepted: Partial<Stages> = {};
    for (const s of STAGES.slice(0, k)) accepted[s] = item.stages[s];
    const p = buildStagePrompt(item.question, accepted, stage);
    return p.user === first.user && full.startsWith(p.assistant_prefix);
  });
  if (oneSequence) return [{ prompt: first, completion: full.slice(first.assistant_prefix.length) }];
  // Fallback if the prompt format ever stops being one continuous text: one sequence per stage.
  return STAGES.map((stage, k) => {
    const accepted: Partial<Stages> = {};
    for (const s of STAGES.slice(0, k)) accepted[s] = item.stages[s];
    return { prompt: buildStagePrompt(item.question, accepted, stage), completion: `${item.stages[stage]}</${stage}>` };
  });
}

export interface Mix {
  direct: number;
  judge: number;
  check: number;
}

function referenceContext(item: Item, stage: Stage): Partial<Stages> {
  const context: Partial<Stages> = {};
  for (const s of STAGES.slice(0, STAGES.indexOf(stage))) context[s] = item.stages[s];
  return context;
}

/**
 * One verifier item as training text: the engine's verify prompt for a candidate of `stage` after
 * `context` (by default the reference earlier stages), and the verdict after the prefilled
 * `CHECK:`, so the loss is on the one token the verifier scorer reads.
 */
export function verifyExample(
  item: Item,
  stage: Stage,
  candidate: string,
  right: boolean,
  context: Partial<Stages> = referenceContext(item, stage),
): Example {
  return {
    family: item.family,
    item: item.id,
    kind: "check",
    stage,
    prompt: buildVerifyPrompt(stage, item.question, context, candidate),
    completion: right ? VERIFY_YES : VERIFY_NO,
    label: right ? "CORRECT" : "INCORRECT",
  };
}

/** One judge item of an item as training text: the engine's judge prompt and the judge's reply. */
export function judgeExample(item: Item, j: JudgeItem, judgeFormat: JudgeFormat = "copy"): Example {
  return {
    family: item.family,
    item: item.id,
    kind: "judge",
    stage: j.stage,
    prompt: buildJudgePrompt(j.stage, item.question, j.context, j.first, j.second),
    completion: judgeReply(j, judgeFormat),
    label: String(j.better),
  };
}

/** The examples of an item: everything (`mix` undefined, for evaluation) or a random mix (training). */
export function examplesOf(item: Item, mix?: Mix, rng?: Rng, judgeFormat: JudgeFormat = "copy"): Example[] {
  const base = { family: item.family, item: item.id };
  const out: Example[] = stageExamples(item).map((e) => ({ ...base, kind: "stages", ...e, label: item.answer }));
  const want = (p: number) => mix === undefined || (rng !== undefined && rng() < p);
  if (want(mix?.direct ?? 1)) {
    out.push({
      ...base,
      kind: "direct",
      prompt: { user: item.question + DIRECT_SUFFIX, assistant_prefix: "", with_image: true },
      completion: item.direct_answer,
      label: item.answer,
    });
  }
  const judges =
    mix === undefined ? item.judge : want(mix.judge) && item.judge.length > 0 && rng ? [pick(rng, item.judge)] : [];
  for (const j of judges) out.push(judgeExample(item, j, judgeFormat));
  if (want(mix?.check ?? 1)) {
    for (const c of item.selfcheck) {
      out.push({
        ...base,
        kind: "check",
        prompt: buildSelfCheckPrompt(item.question, c.context, c.reasoning),
        completion: `CHECK: ${c.label}`,
        label: c.label,
      });
    }
  }
  return out;
}
