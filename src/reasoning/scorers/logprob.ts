/** The logprob scorer: mean token log-probability, highest first (backends that report logprobs). */
import { compareLogprobs } from "../bracket";
import { invalidLast, type Candidate } from "../candidates";
import type { ScoreResult } from "./result";

export function rankByLogprob(unique: readonly Candidate[]): ScoreResult {
  const scores: Record<string, number | null> = {};
  const issues: string[] = [];
  for (const c of unique) {
    scores[c.id] = c.mean_logprob;
    if (c.mean_logprob === null) issues.push(`${c.id}: no mean logprob reported (ranked after those with one)`);
  }
  // Array.prototype.sort is stable: equal scores keep generation order (lower index first).
  const ranking = [...unique].sort((a, b) => compareLogprobs(a.mean_logprob, b.mean_logprob)).map((c) => c.id);
  return { ranking: invalidLast(ranking, new Map(unique.map((c) => [c.id, c]))), scores, issues };
}
