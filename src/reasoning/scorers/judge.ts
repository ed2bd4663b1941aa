/**
 * The judge scorer's matches: how each bracket match is decided, and how a persisted match
 * output is read back. Decision order (docs/search.md, Scorers):
 *  1. forfeit — a side that is invalid loses (both invalid: Response 1 advances); no model call;
 *  2. selfcheck — REASONING only: if exactly one side self-checked 'incorrect', it loses; no call;
 *  3. judge — the model's reply: the side closer to its `Check:` reference if it wrote one, else
 *     its verdict; neither → fallback (see ../judge.ts).
 */
import type { Candidate } from "../candidates";
import { readJudgeReply, type SelfCheck } from "../judge";
import { STAGES, type Stage } from "../stages";
import type { StageKey } from "../steps";
import type { StepOutput } from "../types";

export type DecidedBy = "judge" | "fallback" | "forfeit" | "selfcheck";

export interface MatchDecision {
  /** 1 = the match's first side (Response 1), 2 = the second. */
  winner: 1 | 2;
  decided_by: DecidedBy;
  rationale: string;
}

export type MatchMode =
  | { kind: "local"; decision: MatchDecision }
  | { kind: "judge" }
  /** REASONING: a side's self-check is not done yet. */
  | { kind: "waiting" };

export function matchMode(
  stage: StageKey,
  first: Candidate,
  second: Candidate,
  selfCheckOf: (c: Candidate) => SelfCheck | undefined,
): MatchMode {
  if (!first.valid || !second.valid) {
    const winner = first.valid || !second.valid ? 1 : 2;
    const rationale =
      !first.valid && !second.valid
        ? "both candidates are invalid; Response 1 advances"
        : `Response ${winner === 1 ? 2 : 1} is invalid and forfeits`;
    return { kind: "local", decision: { winner, decided_by: "forfeit", rationale } };
  }
  if (stage === "REASONING") {
    const a = selfCheckOf(first);
    const b = selfCheckOf(second);
    if (a === undefined || b === undefined) return { kind: "waiting" };
    if ((a === "incorrect") !== (b === "incorrect")) {
      const winner = a === "incorrect" ? 2 : 1;
      return {
        kind: "local",
        decision: {
          winner,
          decided_by: "selfcheck",
          rationale: `Response ${winner === 1 ? 2 : 1} self-checked as incorrect`,
        },
      };
    }
  }
  return { kind: "judge" };
}

/** Unparseable verdict (or two orders that disagree): higher mean logprob if both known, else fewer parser repairs, else Response 1. */
export function fallbackDecision(
  first: Candidate,
  second: Candidate,
  why = "no verdict in the judge reply",
): MatchDecision {
  const decided = (winner: 1 | 2, rule: string): MatchDecision => ({
    winner,
    decided_by: "fallback",
    rationale: `${why}; ${rule}`,
  });
  if (first.mean_logprob !== null && second.mean_logprob !== null && first.mean_logprob !== second.mean_logprob) {
    return decided(first.mean_logprob > second.mean_logprob ? 1 : 2, "higher mean logprob wins");
  }
  if (first.repairs.length !== second.repairs.length) {
    return decided(first.repairs.length < second.repairs.length ? 1 : 2, "fewer parser repairs wins");
  }
  return decided(1, "Response 1 (first-seeded) advances");
}

/** Reads a committed match step: a local decision (JSON) or a judge reply (raw text), read against the responses the judge was shown. */
export function decodeMatchOutput(
  output: StepOutput,
  stage: StageKey,
  first: Candidate,
  second: Candidate,
): MatchDecision & { raw?: string } {
  const raw = output.texts[0] ?? "";
  if (output.backend === "local") {
    try {
      const d = JSON.parse(raw) as Partial<MatchDecision>;
      if ((d.winner === 1 || d.winner === 2) && typeof d.decided_by === "string") {
        return { winner: d.winner, decided_by: d.decided_by, rationale: String(d.rationale ?? "") };
      }
    } catch {
      // fall through: an unreadable local record is decided like an unparseable verdict
    }
    return fallbackDecision(first, second);
  }
  const shown = judgeInputs(stage, first, second);
  const verdict = readJudgeReply(stage, raw, shown.first, shown.second);
  if (verdict.winner === null) return { ...fallbackDecision(first, second), raw };
  return { winner: verdict.winner, decided_by: "judge", rationale: verdict.rationale, raw };
}

/**
 * What the judge is shown. Candidates pooled from different prefixes (keep > 1) continue
 * different earlier stages, so the context is only the stages both share; each response then
 * carries its own differing earlier stages, tagged, so the judge compares whole partial paths.
 */
export function judgeInputs(
  stage: StageKey,
  first: Candidate,
  second: Candidate,
): { context: Partial<Record<Stage, string>>; first: string; second: string } {
  if (stage === "ANSWER") return { context: {}, first: first.text, second: second.text };
  const context: Partial<Record<Stage, string>> = {};
  const differing: Stage[] = [];
  for (const s of STAGES) {
    if (s === stage) break;
    if (differing.length === 0 && first.accepted[s] === second.accepted[s]) {
      if (first.accepted[s] !== undefined) context[s] = first.accepted[s];
    } else differing.push(s);
  }
  if (differing.length === 0) return { context, first: first.text, second: second.text };
  const path = (c: Candidate): string =>
    [...differing, stage].map((s) => `<${s}>${s === stage ? c.text : (c.accepted[s] ?? "")}</${s}>`).join("\n");
  return { context, first: path(first), second: path(second) };
}

/**
 * A match judged in both orders (search.judge_orders = 2): `forward` read with the pair as drawn,
 * `swapped` with Response 1 and 2 exchanged (its winner is already mapped back to the drawn
 * order). Why: on real search candidates the small judge favours whichever response it reads
 * first (docs/search.md, "Judged in both orders"), so a verdict counts only when it survives the swap.
 * Both replies pick the same side → that side, by the judge; only one reply has a verdict → that
 * one; they disagree, or neither has one → the fallback rule, as for an unparseable reply.
 */
export function combineOrders(
  forward: MatchDecision,
  swapped: MatchDecision,
  first: Candidate,
  second: Candidate,
): MatchDecision {
  const fj = forward.decided_by === "judge";
  const sj = swapped.decided_by === "judge";
  if (fj && sj && forward.winner === swapped.winner) {
    return {
      winner: forward.winner,
      decided_by: "judge",
      rationale: `both orders pick Response ${forward.winner}. ${forward.rationale}`,
    };
  }
  if (fj && sj)
    return fallbackDecision(
      first,
      second,
      "the judge picks whichever response it reads first (its two orders disagree)",
    );
  if (fj || sj) {
    const d = fj ? forward : swapped;
    return {
      winner: d.winner,
      decided_by: "judge",
      rationale: `only the ${fj ? "first" : "swapped"} order gave a verdict. ${d.rationale}`,
    };
  }
  return fallbackDecision(first, second, "no verdict in either order's judge reply");
}
