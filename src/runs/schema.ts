/**
 * The run object's SQLite schema. Versioned and additive: a new version appends statements,
 * never rewrites old ones, so an object created by an older deploy migrates in place.
 * The outbox's tables are shared with the batch object (outbox-store.ts).
 */
import { OUTBOX_SCHEDULE_BASE, OUTBOX_TABLES } from "./outbox-store";

export const MIGRATIONS: string[][] = [
  // v1
  [
    `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS run (
       id TEXT PRIMARY KEY,
       model TEXT NOT NULL,
       spec TEXT NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','canceled')),
       metadata TEXT NOT NULL DEFAULT '{}',
       limits TEXT NOT NULL,
       idem_hash TEXT,
       image_media_type TEXT,
       created_at INTEGER NOT NULL,
       started_at INTEGER,
       finished_at INTEGER,
       result TEXT,
       error TEXT
     )`,
    // Images can exceed SQLite's per-value limit in a Durable Object (2 MB): stored in chunks.
    `CREATE TABLE IF NOT EXISTS image_chunk (idx INTEGER PRIMARY KEY, bytes BLOB NOT NULL)`,
    // Committed steps only: a row here is never executed again.
    `CREATE TABLE IF NOT EXISTS step (
       id TEXT PRIMARY KEY,
       kind TEXT NOT NULL CHECK (kind IN ('generate','check','match','select')),
       stage TEXT NOT NULL,
       output TEXT NOT NULL,
       attempts INTEGER NOT NULL,
       committed_at INTEGER NOT NULL
     )`,
    // Failed attempts of steps not yet committed: the retry schedule.
    `CREATE TABLE IF NOT EXISTS step_retry (
       id TEXT PRIMARY KEY,
       attempts INTEGER NOT NULL,
       next_at INTEGER NOT NULL,
       last_error TEXT NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS event (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       type TEXT NOT NULL,
       data TEXT NOT NULL,
       at INTEGER NOT NULL
     )`,
  ],
  // v2: the platform — who owns the run, its price snapshot and webhook, and the outbox that
  // delivers webhook events and the usage-ledger entry at least once (idempotently: exactly once).
  [
    `ALTER TABLE run ADD COLUMN owner TEXT`,
    `ALTER TABLE run ADD COLUMN price TEXT`,
    `ALTER TABLE run ADD COLUMN webhook TEXT`,
    ...OUTBOX_TABLES,
  ],
  // v3: a delivery the user retries starts the schedule again (schedule_base: attempts made before
  // it), and steps of the verifier scorer (kind 'verify'), which v1's CHECK did not allow — SQLite
  // cannot alter a CHECK, so the table is rebuilt with its rows.
  [
    OUTBOX_SCHEDULE_BASE,
    `CREATE TABLE step_v3 (
       id TEXT PRIMARY KEY,
       kind TEXT NOT NULL CHECK (kind IN ('generate','check','match','select','verify')),
       stage TEXT NOT NULL,
       output TEXT NOT NULL,
       attempts INTEGER NOT NULL,
       committed_at INTEGER NOT NULL
     )`,
    `INSERT INTO step_v3 SELECT id, kind, stage, output, attempts, committed_at FROM step`,
    `DROP TABLE step`,
    `ALTER TABLE step_v3 RENAME TO step`,
  ],
  // v4: where a run came from — a fork of another run, or a cached copy of one (JSON, RunOrigin).
  [`ALTER TABLE run ADD COLUMN origin TEXT`],
  // v5: the forks made of a run, so that parent and child link both ways.
  [`CREATE TABLE IF NOT EXISTS fork (run_id TEXT PRIMARY KEY, from_stage TEXT NOT NULL, at INTEGER NOT NULL)`],
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the schema up to date; call inside a transaction so a version applies whole or not at all. */
export function migrate(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  const row = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).toArray()[0];
  const current = row ? Number(row.value) : 0;
  for (let v = current; v < MIGRATIONS.length; v++) {
    for (const statement of MIGRATIONS[v] ?? []) sql.exec(statement);
  }
  if (current !== MIGRATIONS.length) {
    sql.exec(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
      String(MIGRATIONS.length),
    );
  }
}
