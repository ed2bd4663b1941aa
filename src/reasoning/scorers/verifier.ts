/**
 * The verifier scorer: each candidate's probability of being correct, from the stage verifier
 * (one forward pass per candidate, batched per stage; see verify.ts and the backends).
 * stage_beam keeps the most probable; best_of_n weighs whole answers by it — every answer votes for
 * its conclusion with its probability, the conclusion with the most weight wins, and within it the
 * most probable answer is chosen (sampled twins each vote).
 */
import { compareLogprobs } from "../bracket";
import { invalidLast, type Candidate } from "../candidates";
import { normalizeAnswer } from "../normalize";
import type { StageView } from "../stage-view";
import type { ScoreResult } from "./result";

/** Higher first; unknown scores after known ones; then mean logprob; then generation order (stable sort). */
function compareScores(a: Candidate, b: Candidate, score: (id: string) => number | null): number {
  const sa = score(a.id);
  const sb = score(b.id);
  if (sa !== null && sb !== null && sa !== sb) return sb - sa;
  if ((sa === null) !== (sb === null)) return sa === null ? 1 : -1;
  return compareLogprobs(a.mean_logprob, b.mean_logprob);
}

export function rankByVerifier(view: StageView): ScoreResult {
  const byCandidate = new Map(view.verifications.map((v) => [v.candidate, v.score ?? null]));
  const score = (id: string): number | null => byCandidate.get(id) ?? null;
  const scores: Record<string, number | null> = {};
  const issues: string[] = [];
  for (const c of view.unique) {
    if (!c.valid) continue;
    scores[c.id] = score(c.id);
    // A lone valid candidate is not verified (stage-view.ts): it has no score and needs none.
    if (scores[c.id] === null && byCandidate.has(c.id))
      issues.push(`${c.id}: the verifier gave no score (ranked after those with one)`);
  }
  let ranking = [...view.unique].sort((a, b) => compareScores(a, b, score));
  if (view.stage === "ANSWER") ranking = byWeightedVote(view, ranking, score);
  return {
    ranking: invalidLast(
      ranking.map((c) => c.id),
      view.byId,
    ),
    scores,
    issues,
  };
}

/** best_of_n: conclusions weighted by the verifier's probabilities of the answers that reach them. */
function byWeightedVote(view: StageView, ranked: Candidate[], score: (id: string) => number | null): Candidate[] {
  const weight = new Map<string, number>();
  const representative = (c: Candidate): Candidate => (c.merged_into ? (view.byId.get(c.merged_into) ?? c) : c);
  for (const c of view.candidates) {
    const rep = representative(c);
    if (!rep.valid) continue;
    const key = normalizeAnswer(rep.stages?.CONCLUSION ?? rep.text);
    weight.set(key, (weight.get(key) ?? 0) + (score(rep.id) ?? 0));
  }
  const weightOf = (c: Candidate): number => weight.get(normalizeAnswer(c.stages?.CONCLUSION ?? c.text)) ?? 0;
  // Stable: within one conclusion the verifier's own order stands.
  return [...ranked].sort((a, b) => weightOf(b) - weightOf(a));
}
