/**
 * `KeyLimiter`: one Durable Object per API key (named by the key id) holding its request token
 * bucket and its spend. A Durable Object is single-threaded and globally unique, so concurrent
 * requests and runs from anywhere see one consistent count — which D1 (no atomic
 * read-modify-write across requests without a transaction) or a per-isolate counter could not
 * give. Everything is kept in the object's SQLite so an eviction forgets nothing.
 *
 * Spend: what the key's calls cost (`spent_usd`, settled call by call) and what calls in flight
 * may still cost (reservations). A run reserves a call's worst case before sending it and settles
 * the actual cost after, so concurrent runs of one key can never spend past its budget. The
 * counter starts from the usage ledger's total the first time it is used.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { spentUsd } from "./ledger";
import { takeToken, type Bucket, type Take } from "./token-bucket";

export type LimitResult = Omit<Take, "bucket">;

export interface SpendState {
  spent_usd: number;
  reserved_usd: number;
}

export interface ReserveResult {
  ok: boolean;
  /** What the budget leaves for this reservation (before it), in USD. */
  available_usd: number;
}

/** A reservation whose run never settled it (the object crashed mid-call) lapses after this. */
export const RESERVATION_TTL_MS = 15 * 60_000;

/** A batch's run slot whose batch never released it (its object crashed) lapses after this. */
export const BATCH_SLOT_TTL_MS = 30 * 60_000;

export class KeyLimiter extends DurableObject<Env> {
  private bucket: Bucket | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), tokens REAL NOT NULL, at INTEGER NOT NULL)`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS spend (id INTEGER PRIMARY KEY CHECK (id = 1), spent_usd REAL NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS reservation (id TEXT PRIMARY KEY, usd REAL NOT NULL, at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS batch_slot (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
    this.bucket =
      sql.exec<{ tokens: number; at: number }>(`SELECT tokens, at FROM bucket WHERE id = 1`).toArray()[0] ?? null;
  }

  /** The key's spend: settled, and reserved by calls in flight. */
  async spend(keyId: string): Promise<SpendState> {
    const spent_usd = await this.spent(keyId);
    return { spent_usd, reserved_usd: this.reserved() };
  }

  /**
   * Reserve `usd` under `budgetUsd` for call `id` (the same id again replaces its reservation, so a
   * retried call is not counted twice). Refused when settled + reserved + this would pass the budget.
   */
  async reserve(keyId: string, id: string, usd: number, budgetUsd: number): Promise<ReserveResult> {
    await this.spent(keyId);
    // From here on synchronous: no other request runs between the check and the insert.
    const sql = this.ctx.storage.sql;
    const spent = sql.exec<{ spent_usd: number }>(`SELECT spent_usd FROM spend WHERE id = 1`).one().spent_usd;
    const others = this.reserved(id);
    const available_usd = Math.max(0, budgetUsd - spent - others);
    if (usd > available_usd + 1e-12) return { ok: false, available_usd };
    sql.exec(`INSERT OR REPLACE INTO reservation (id, usd, at) VALUES (?, ?, ?)`, id, usd, Date.now());
    return { ok: true, available_usd };
  }

  /** The call's actual cost replaces its reservation (0 when it failed: a failed call is not billed). */
  async settle(keyId: string, id: string, usd: number): Promise<void> {
    await this.spent(keyId); // initialised from the ledger the first time
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      sql.exec(`DELETE FROM reservation WHERE id = ?`, id);
      sql.exec(`UPDATE spend SET spent_usd = spent_usd + ? WHERE id = 1`, Math.max(0, usd));
    });
  }

  private reserved(except?: string): number {
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM reservation WHERE at < ?`, Date.now() - RESERVATION_TTL_MS);
    const row = sql
      .exec<{ usd: number }>(`SELECT COALESCE(SUM(usd), 0) AS usd FROM reservation WHERE id != ?`, except ?? "")
      .toArray()[0];
    return row?.usd ?? 0;
  }

  /** Settled spend; the first time, the ledger's total for the key (what it spent before this counter). */
  private async spent(keyId: string): Promise<number> {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<{ spent_usd: number }>(`SELECT spent_usd FROM spend WHERE id = 1`).toArray()[0];
    if (row) return row.spent_usd;
    const fromLedger = this.env.DB ? await spentUsd(this.env.DB, keyId) : 0;
    // Another call may have initialised it while the ledger was read.
    const again = sql.exec<{ spent_usd: number }>(`SELECT spent_usd FROM spend WHERE id = 1`).toArray()[0];
    if (again) return again.spent_usd;
    sql.exec(`INSERT INTO spend (id, spent_usd) VALUES (1, ?)`, fromLedger);
    return fromLedger;
  }

  /**
   * One of the key's `max` slots for batch runs, for run `slot` (held again by the same id: a
   * batch that restarts does not count its runs twice); false when all are taken. Batches share
   * these slots, interactive runs never use them: a key's batches cannot crowd out its own requests.
   */
  async acquireBatchSlot(slot: string, max: number): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    sql.exec(`DELETE FROM batch_slot WHERE at < ?`, Date.now() - BATCH_SLOT_TTL_MS);
    if (sql.exec(`SELECT 1 FROM batch_slot WHERE id = ?`, slot).toArray().length > 0) return true;
    const held = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM batch_slot`).one().n;
    if (held >= max) return false;
    sql.exec(`INSERT INTO batch_slot (id, at) VALUES (?, ?)`, slot, Date.now());
    return true;
  }

  async releaseBatchSlot(slot: string): Promise<void> {
    this.ctx.storage.sql.exec(`DELETE FROM batch_slot WHERE id = ?`, slot);
  }

  /** Take one request's token under a limit of `perMinute` requests per minute. */
  async take(perMinute: number): Promise<LimitResult> {
    const { bucket, ...result } = takeToken(this.bucket, perMinute, Date.now());
    this.bucket = bucket;
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO bucket (id, tokens, at) VALUES (1, ?, ?)`,
      bucket.tokens,
      bucket.at,
    );
    return result;
  }
}
