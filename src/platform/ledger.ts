/**
 * Reading the usage ledger (`usage_ledger`, one row per finished run, written by the run's
 * Durable Object): what a key has spent, and its usage per day and model.
 */

export interface UsageRow {
  day: string;
  model: string;
  runs: number;
  /** Runs with a token figure unknown: each token sum adds only the figures that are known. */
  runs_with_unknown_tokens: number;
  succeeded: number;
  failed: number;
  canceled: number;
  input_tokens: number;
  output_tokens: number;
  judge_input_tokens: number;
  judge_output_tokens: number;
  backend_ms: number;
  cost_usd: number;
  estimated: number;
}

/** Total cost of a key's finished runs, in USD. */
export async function spentUsd(db: D1Database, keyId: string): Promise<number> {
  const row = await db
    .prepare(`SELECT COALESCE(SUM(cost_usd), 0) AS spent FROM usage_ledger WHERE key_id = ?`)
    .bind(keyId)
    .first<{ spent: number }>();
  return row?.spent ?? 0;
}

/** The key's usage per UTC day and model, days inclusive, oldest first. */
export async function usageByDayAndModel(db: D1Database, keyId: string, from: string, to: string): Promise<UsageRow[]> {
  const { results } = await db
    .prepare(
      `SELECT day, model, COUNT(*) AS runs,
         SUM(input_tokens IS NULL OR output_tokens IS NULL OR judge_input_tokens IS NULL OR judge_output_tokens IS NULL) AS runs_with_unknown_tokens,
         SUM(status = 'succeeded') AS succeeded, SUM(status = 'failed') AS failed, SUM(status = 'canceled') AS canceled,
         COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
         COALESCE(SUM(judge_input_tokens), 0) AS judge_input_tokens, COALESCE(SUM(judge_output_tokens), 0) AS judge_output_tokens,
         SUM(backend_ms) AS backend_ms, SUM(cost_usd) AS cost_usd, MAX(estimated) AS estimated
       FROM usage_ledger WHERE key_id = ? AND day >= ? AND day <= ?
       GROUP BY day, model ORDER BY day, model`,
    )
    .bind(keyId, from, to)
    .all<UsageRow>();
  return results;
}

/** Total cost per key id, in USD (keys without finished runs are absent). */
export async function spentByKey(db: D1Database): Promise<Map<string, number>> {
  const { results } = await db
    .prepare(`SELECT key_id, SUM(cost_usd) AS spent FROM usage_ledger GROUP BY key_id`)
    .all<{ key_id: string; spent: number }>();
  return new Map(results.map((r) => [r.key_id, r.spent]));
}
