/**
 * The state of every stage, derived from the persisted step outputs alone. Planner, events,
 * local steps and the trace all read the run through these views, so they cannot disagree.
 */
import { playBracket, seedBracket, type BracketState } from "./bracket";
import { buildCandidate, mergeTwins, type Candidate, type Prefix } from "./candidates";
import { parseSelfCheck, type SelfCheck } from "./judge";
import {
  combineOrders,
  decodeMatchOutput,
  matchMode,
  type DecidedBy,
  type MatchDecision,
  type MatchMode,
} from "./scorers/judge";
import { stepSeed } from "./seeds";
import { STAGES, type Stage } from "./stages";
import {
  bracketSeedKey,
  checkId,
  genId,
  matchId,
  selectId,
  stageSettings,
  swappedMatchId,
  verifyId,
  type StageKey,
  type StageSettings,
} from "./steps";
import type { RunSpec, StepOutput } from "./types";

export interface CheckView {
  id: string;
  candidate: string;
  verdict?: SelfCheck;
  raw?: string;
}

export interface MatchView {
  id: string;
  round: number;
  index: number;
  first: string;
  second: string;
  /** How it is (or will be) decided; `waiting` while a REASONING self-check is missing. */
  mode: MatchMode["kind"];
  /** The decision a local match will record (forfeit or selfcheck). */
  local?: MatchDecision;
  winner?: string;
  decided_by?: DecidedBy;
  rationale?: string;
  /** The judge's reply, for judge-decided and fallback matches. */
  raw?: string;
  /** judge_orders = 2: the step that judges the pair swapped, and its reply once done. */
  swapped?: string;
  raw_swapped?: string;
}

/** The verifier's score of one (unique, valid) candidate; `score` once its step is done. */
export interface VerifyView {
  id: string;
  candidate: string;
  /** The probability that the candidate is correct; null when the verifier could not say. */
  score?: number | null;
}

/** The persisted output of a select step (JSON in texts[0]). */
export interface Selection {
  /** Unique candidate ids, best first. */
  ranking: string[];
  /** The top `keep` valid ones: the next stage's prefixes, in order. */
  selected: string[];
  scores?: Record<string, number | null>;
  issues: string[];
}

export interface StageView {
  stage: StageKey;
  settings: StageSettings;
  prefixes: Prefix[];
  genIds: string[];
  /** Generated candidates, in (prefix, index) order. */
  candidates: Candidate[];
  byId: Map<string, Candidate>;
  /** Every generate step is done. */
  generated: boolean;
  unique: Candidate[];
  checks: CheckView[];
  /** Verifier scorer: one score per unique valid candidate. */
  verifications: VerifyView[];
  bracket?: BracketState;
  matches: MatchView[];
  selection?: Selection;
}

export function deriveStageView(
  spec: RunSpec,
  done: ReadonlyMap<string, StepOutput>,
  stage: StageKey,
  prefixes: Prefix[],
): StageView {
  const settings = stageSettings(spec, stage);
  const genIds: string[] = [];
  const candidates: Candidate[] = [];
  for (const prefix of prefixes) {
    for (let i = 0; i < settings.candidates; i++) {
      const id = genId(stage, prefix.index, i);
      genIds.push(id);
      const output = done.get(id);
      if (output) candidates.push(buildCandidate(stage, id, prefix, i, output));
    }
  }
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const view: StageView = {
    stage,
    settings,
    prefixes,
    genIds,
    candidates,
    byId,
    generated: candidates.length === genIds.length,
    unique: [],
    checks: [],
    verifications: [],
    matches: [],
  };
  if (view.generated) {
    view.unique = mergeTwins(candidates);
    if (settings.scorer === "judge") scoreByJudge(spec, done, view);
    if (settings.scorer === "verifier") {
      // Invalid candidates rank last under every scorer: no call is spent on them. With fewer than
      // two valid ones there is nothing to choose (as with the judge, no match): no call at all.
      const valid = view.unique.filter((c) => c.valid);
      view.verifications = (valid.length < 2 ? [] : valid).map((c) => {
        const id = verifyId(stage, c.label);
        const output = done.get(id);
        return output ? { id, candidate: c.id, score: output.scores?.[0] ?? null } : { id, candidate: c.id };
      });
    }
  }
  const selected = done.get(selectId(stage));
  if (selected) view.selection = readSelection(selected);
  return view;
}

function scoreByJudge(spec: RunSpec, done: ReadonlyMap<string, StepOutput>, view: StageView): void {
  const { stage } = view;
  const verdicts = new Map<string, SelfCheck>();
  // Self-checks only decide matches between two valid candidates: with fewer than two there is none,
  // and a check would be planned alongside the selection, never run, and left pending in the trace.
  const checkable = view.unique.filter((u) => u.valid);
  if (stage === "REASONING" && checkable.length > 1) {
    for (const c of checkable) {
      const id = checkId(c.label);
      const output = done.get(id);
      const check: CheckView = { id, candidate: c.id };
      if (output) {
        check.raw = output.texts[0] ?? "";
        check.verdict = parseSelfCheck(check.raw);
        verdicts.set(c.id, check.verdict);
      }
      view.checks.push(check);
    }
  }
  const entrants = seedBracket(
    view.unique.map((c) => c.id),
    stepSeed(spec.sampling.seed, bracketSeedKey(stage)),
  );
  view.bracket = playBracket(entrants, (m) => {
    const first = view.byId.get(m.first) as Candidate;
    const second = view.byId.get(m.second) as Candidate;
    const id = matchId(stage, m.round, m.index);
    const mode = matchMode(stage, first, second, (c) => verdicts.get(c.id));
    const match: MatchView = { id, round: m.round, index: m.index, first: m.first, second: m.second, mode: mode.kind };
    if (mode.kind === "local") match.local = mode.decision;
    view.matches.push(match);
    const output = done.get(id);
    if (mode.kind === "judge" && (spec.search.judge_orders ?? 1) === 2)
      return decideBothOrders(done, match, output, first, second);
    if (!output) return undefined;
    const decision = decodeMatchOutput(output, stage, first, second);
    match.winner = decision.winner === 1 ? m.first : m.second;
    match.decided_by = decision.decided_by;
    match.rationale = decision.rationale;
    if (decision.raw !== undefined) match.raw = decision.raw;
    return match.winner;
  });
}

/** A judge match read in both orders; undefined until both replies are in. */
function decideBothOrders(
  done: ReadonlyMap<string, StepOutput>,
  match: MatchView,
  output: StepOutput | undefined,
  first: Candidate,
  second: Candidate,
): string | undefined {
  const stage = first.stage;
  match.swapped = swappedMatchId(match.id);
  const back = done.get(match.swapped);
  if (output) match.raw = output.texts[0] ?? "";
  if (back) match.raw_swapped = back.texts[0] ?? "";
  if (!output || !back) return undefined;
  const forward = decodeMatchOutput(output, stage, first, second);
  const reverse = decodeMatchOutput(back, stage, second, first);
  const decision = combineOrders(forward, { ...reverse, winner: reverse.winner === 1 ? 2 : 1 }, first, second);
  match.winner = decision.winner === 1 ? match.first : match.second;
  match.decided_by = decision.decided_by;
  match.rationale = decision.rationale;
  return match.winner;
}

function readSelection(output: StepOutput): Selection {
  try {
    const parsed = JSON.parse(output.texts[0] ?? "") as Partial<Selection>;
    return {
      ranking: parsed.ranking ?? [],
      selected: parsed.selected ?? [],
      ...(parsed.scores ? { scores: parsed.scores } : {}),
      issues: parsed.issues ?? [],
    };
  } catch {
    return { ranking: [], selected: [], issues: ["unreadable select output"] };
  }
}

/** The prefixes the selection hands to the next stage. */
export function nextPrefixes(view: StageView): Prefix[] {
  const stage = view.stage;
  if (stage === "ANSWER" || !view.selection) return [];
  return view.selection.selected.flatMap((id, index) => {
    const c = view.byId.get(id);
    return c ? [{ index, parent: id, accepted: { ...c.accepted, [stage]: c.text } }] : [];
  });
}

/** The stages a run takes as given (a prefix of STAGES), in order. */
export function givenStages(spec: RunSpec): Stage[] {
  const given = spec.given ?? {};
  return STAGES.filter((s) => given[s] !== undefined);
}

/**
 * The stages a run has accepted so far, in order: the given ones, then each selected stage's top
 * candidate with the stages it continued (best_of_n: the chosen answer's stages, once chosen).
 */
export function acceptedStages(spec: RunSpec, done: ReadonlyMap<string, StepOutput>): Partial<Record<Stage, string>> {
  let accepted: Partial<Record<Stage, string>> = { ...spec.given };
  for (const view of stageViews(spec, done)) {
    const top = view.byId.get(view.selection?.selected[0] ?? "");
    if (!top) break;
    accepted = view.stage === "ANSWER" ? { ...accepted, ...top.stages } : { ...top.accepted, [view.stage]: top.text };
  }
  return accepted;
}

/** Views of every stage reached so far, in order; the last one is the current stage unless it is selected. */
export function stageViews(spec: RunSpec, done: ReadonlyMap<string, StepOutput>): StageView[] {
  const given = spec.given ?? {};
  const open = STAGES.filter((s) => given[s] === undefined);
  // Everything given (a cached run): nothing to search.
  if (open.length === 0) return [];
  const root: Prefix = { index: 0, parent: null, accepted: { ...given } };
  if (spec.search.strategy === "best_of_n") return [deriveStageView(spec, done, "ANSWER", [root])];
  const views: StageView[] = [];
  let prefixes = [root];
  for (const stage of open) {
    const view = deriveStageView(spec, done, stage, prefixes);
    views.push(view);
    if (!view.selection) break;
    prefixes = nextPrefixes(view);
    if (prefixes.length === 0) break; // a broken selection: nothing to continue (trace shows it)
  }
  return views;
}
