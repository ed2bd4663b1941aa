/**
 * Candidates as the scorers see them: parsed from persisted generate outputs, with twins merged.
 * Rebuilt from storage on every planning pass, so nothing here holds state.
 */
import { normalizeForTwins } from "./normalize";
import { parseAnswer, parseStageText } from "./parser";
import type { Stage } from "./stages";
import type { StageKey } from "./steps";
import type { FinishReason, StepOutput, Usage } from "./types";

/** An accepted prefix of a stage: which earlier candidate it extends, and the accepted stage texts. */
export interface Prefix {
  index: number;
  /** The previous stage's candidate id it was built from; null for the first stage. */
  parent: string | null;
  accepted: Partial<Record<Stage, string>>;
}

export interface Candidate {
  /** The generate step id, e.g. `CAPTION/gen/0.2`; unique across the run. */
  id: string;
  stage: StageKey;
  prefix: number;
  index: number;
  /** `${prefix}.${index}`: names the candidate's self-check step. */
  label: string;
  raw: string;
  /** Clean stage text (ANSWER: the re-rendered answer). */
  text: string;
  /** ANSWER only: the parsed stages. */
  stages?: Partial<Record<Stage, string>>;
  valid: boolean;
  repairs: string[];
  issues: string[];
  finish_reason: FinishReason;
  mean_logprob: number | null;
  usage: Usage;
  /** The earlier identical candidate (same prefix) this one was merged into. */
  merged_into?: string;
  /** The stages it continues. */
  accepted: Partial<Record<Stage, string>>;
}

export function buildCandidate(
  stage: StageKey,
  id: string,
  prefix: Prefix,
  index: number,
  output: StepOutput,
): Candidate {
  const raw = output.texts[0] ?? "";
  const finish = output.finish_reasons[0] ?? "other";
  const base = {
    id,
    stage,
    prefix: prefix.index,
    index,
    label: `${prefix.index}.${index}`,
    raw,
    finish_reason: finish,
    mean_logprob: output.mean_logprobs?.[0] ?? null,
    usage: output.usage,
    accepted: prefix.accepted,
  };
  const noText = output.texts.length === 0 ? ["backend returned no text"] : [];
  if (stage === "ANSWER") {
    const parsed = parseAnswer(raw, finish);
    return {
      ...base,
      text: parsed.text,
      stages: parsed.stages,
      valid: parsed.valid,
      repairs: parsed.repairs,
      issues: [...noText, ...parsed.issues],
    };
  }
  const parsed = parseStageText(stage, raw, finish);
  return {
    ...base,
    text: parsed.text,
    valid: parsed.valid,
    repairs: parsed.repairs,
    issues: [...noText, ...parsed.issues],
  };
}

/**
 * Marks later twins (same prefix, same normalised text) as merged into the first one: a twin
 * costs no judge call and cannot meet itself in the bracket. Returns the unique candidates.
 */
export function mergeTwins(candidates: Candidate[]): Candidate[] {
  const firstByKey = new Map<string, Candidate>();
  const unique: Candidate[] = [];
  for (const c of candidates) {
    const key = `${c.prefix}\u0001${normalizeForTwins(c.text)}`;
    const first = firstByKey.get(key);
    if (first) c.merged_into = first.id;
    else {
      firstByKey.set(key, c);
      unique.push(c);
    }
  }
  return unique;
}

/** Stable ranking tail: invalid candidates always rank last, whatever the scorer said. */
export function invalidLast(ranking: string[], byId: ReadonlyMap<string, Candidate>): string[] {
  const valid = ranking.filter((id) => byId.get(id)?.valid === true);
  return [...valid, ...ranking.filter((id) => byId.get(id)?.valid !== true)];
}
