/**
 * The vote scorer. For an answer (CONCLUSION, or best_of_n's whole answers): majority over
 * normalised answers. For other stages, where texts never match exactly: the consensus candidate,
 * the one with the highest mean token-set Jaccard similarity to the others.
 * Merged twins still vote: merging saves judge calls, it must not erase a majority.
 */
import { compareLogprobs } from "../bracket";
import { invalidLast, type Candidate } from "../candidates";
import { jaccard, normalizeAnswer, tokenSet } from "../normalize";
import type { StageKey } from "../steps";
import type { ScoreResult } from "./result";

const answerOf = (c: Candidate): string =>
  normalizeAnswer(c.stage === "ANSWER" ? (c.stages?.CONCLUSION ?? "") : c.text);

export function rankByVote(stage: StageKey, all: readonly Candidate[], unique: readonly Candidate[]): ScoreResult {
  const voters = all.filter((c) => c.valid);
  const scores: Record<string, number | null> = {};
  if (stage === "CONCLUSION" || stage === "ANSWER") {
    const votes = new Map<string, number>();
    for (const c of voters) votes.set(answerOf(c), (votes.get(answerOf(c)) ?? 0) + 1);
    for (const c of unique) scores[c.id] = c.valid ? (votes.get(answerOf(c)) ?? 0) : 0;
  } else {
    const sets = new Map(voters.map((c) => [c.id, tokenSet(c.text)]));
    for (const c of unique) {
      const own = sets.get(c.id);
      const others = voters.filter((o) => o.id !== c.id);
      scores[c.id] =
        own === undefined || others.length === 0
          ? 0
          : others.reduce((sum, o) => sum + jaccard(own, sets.get(o.id) ?? new Set()), 0) / others.length;
    }
  }
  // Ties: higher logprob, then lower index (stable sort keeps generation order).
  const ranking = [...unique]
    .sort((a, b) => (scores[b.id] ?? 0) - (scores[a.id] ?? 0) || compareLogprobs(a.mean_logprob, b.mean_logprob))
    .map((c) => c.id);
  return { ranking: invalidLast(ranking, new Map(unique.map((c) => [c.id, c]))), scores, issues: [] };
}
