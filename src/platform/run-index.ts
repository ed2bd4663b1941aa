/**
 * The run index (`runs` in D1): one row per run a key created, for `GET /v1/runs`. The run itself
 * lives in its Durable Object; this only lists ids, newest first, with keyset (cursor) paging.
 */

export interface IndexedRun {
  run_id: string;
  model: string;
  created_at: number;
  /** The ledger's status once the run has ended and been recorded; null before. */
  ended_status: string | null;
}

export interface RunPage {
  runs: IndexedRun[];
  /** Where the next page starts; null on the last page. */
  next: Position | null;
}

/** A position in a key's list: the last row shown. */
export interface Position {
  created_at: number;
  run_id: string;
}

/** Idempotent: an Idempotency-Key replay (or a retry after a failed insert) adds nothing. */
export async function indexRun(
  db: D1Database,
  row: { run_id: string; key_id: string; model: string; created_at: number; content_hash?: string },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO runs (run_id, key_id, model, created_at, content_hash) VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
    )
    .bind(row.run_id, row.key_id, row.model, row.created_at, row.content_hash ?? null)
    .run();
}

/**
 * The key's newest run with this content hash that succeeded (its ledger row says so: written
 * once the run has ended), or null. Scoped to the key: another key's runs are never found.
 */
export async function findSucceededRun(db: D1Database, keyId: string, contentHash: string): Promise<string | null> {
  const row = await db
    .prepare(
      `SELECT r.run_id FROM runs r JOIN usage_ledger l ON l.run_id = r.run_id
       WHERE r.key_id = ?1 AND r.content_hash = ?2 AND l.status = 'succeeded'
       ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1`,
    )
    .bind(keyId, contentHash)
    .first<{ run_id: string }>();
  return row?.run_id ?? null;
}

/** One page of the key's runs, newest first (ties broken by run id), after `after` when given. */
export async function listRuns(db: D1Database, keyId: string, limit: number, after: Position | null): Promise<RunPage> {
  const where = after ? `AND (r.created_at < ?2 OR (r.created_at = ?2 AND r.run_id < ?3))` : "";
  const stmt = db.prepare(
    `SELECT r.run_id, r.model, r.created_at, l.status AS ended_status
     FROM runs r LEFT JOIN usage_ledger l ON l.run_id = r.run_id
     WHERE r.key_id = ?1 ${where}
     ORDER BY r.created_at DESC, r.run_id DESC LIMIT ?4`,
  );
  const { results } = await stmt.bind(keyId, after?.created_at ?? 0, after?.run_id ?? "", limit + 1).all<IndexedRun>();
  const runs = results.slice(0, limit);
  const last = runs.at(-1);
  return { runs, next: results.length > limit && last ? { created_at: last.created_at, run_id: last.run_id } : null };
}

/** Cursors are opaque to callers: base64url of the position. */
export function encodeCursor(p: Position): string {
  return btoa(`${p.created_at}.${p.run_id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The position in a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): Position | null {
  let text: string;
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const m = /^(\d{1,16})\.(run_[0-9a-f]{64})$/.exec(text);
  return m?.[1] && m[2] ? { created_at: Number(m[1]), run_id: m[2] } : null;
}
