/** What every scorer returns: a full ranking of the unique candidates, with diagnostics. */
export interface ScoreResult {
  /** Unique candidate ids, best first; invalid candidates always last. */
  ranking: string[];
  /** The number each candidate was ranked by (votes, similarity, logprob), when the scorer has one. */
  scores: Record<string, number | null>;
  issues: string[];
}
