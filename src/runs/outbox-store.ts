/**
 * The run's outbox: webhook deliveries and the usage-ledger entry, written in the same
 * transaction as what caused them (an event, the run's end), delivered later by the dispatcher.
 * Rows are delivered in `seq` order; each attempt is logged.
 */
import type { WebhookConfig } from "./contract";

/**
 * The outbox's tables as run schema v2 created them (schema.ts): never edited, since objects
 * created then migrate from them. A new object creates them and then applies the changes since.
 */
export const OUTBOX_TABLES = [
  `CREATE TABLE IF NOT EXISTS outbox (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('ledger','webhook')),
     seq INTEGER NOT NULL,
     event_type TEXT NOT NULL,
     payload TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending','delivered','abandoned')),
     last_error TEXT
   )`,
  `CREATE TABLE IF NOT EXISTS delivery_attempt (
     n INTEGER PRIMARY KEY AUTOINCREMENT,
     outbox_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     at INTEGER NOT NULL,
     status INTEGER,
     error TEXT,
     duration_ms INTEGER NOT NULL
   )`,
];

/** Run schema v3: a delivery the user retries starts its schedule again (`OutboxRow.schedule_base`). */
export const OUTBOX_SCHEDULE_BASE = `ALTER TABLE outbox ADD COLUMN schedule_base INTEGER NOT NULL DEFAULT 0`;

export type OutboxKind = "ledger" | "webhook";
/** `abandoned`: given up (the API calls it `failed`; schema v2's CHECK names it so). */
export type OutboxState = "pending" | "delivered" | "abandoned";

export interface OutboxRow {
  id: string;
  kind: OutboxKind;
  seq: number;
  event_type: string;
  payload: string;
  attempts: number;
  /** Attempts made before the current schedule began (a retry by the user starts a new one). */
  schedule_base: number;
  next_at: number;
  state: OutboxState;
  last_error: string | null;
}

export interface DeliveryAttempt {
  outbox_id: string;
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/** Standard Webhooks message id: stable for an event, so every retry carries the same one. */
export const webhookId = (runId: string, seq: number): string => `msg_${runId.slice(-24)}_${seq}`;

/** The events that end a run: delivered whatever the filter says, so a receiver always learns the end. */
const TERMINAL_EVENTS = new Set(["run.succeeded", "run.failed", "run.canceled"]);

export function wantsEvent(webhook: WebhookConfig, type: string): boolean {
  return TERMINAL_EVENTS.has(type) || webhook.events.includes("*") || webhook.events.includes(type);
}

export class OutboxStore {
  constructor(private readonly sql: SqlStorage) {}

  enqueue(row: Omit<OutboxRow, "attempts" | "schedule_base" | "state" | "last_error">): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO outbox (id, kind, seq, event_type, payload, attempts, next_at, state) VALUES (?, ?, ?, ?, ?, 0, ?, 'pending')`,
      row.id,
      row.kind,
      row.seq,
      row.event_type,
      row.payload,
      row.next_at,
    );
  }

  /** Pending rows in delivery order. */
  pending(): OutboxRow[] {
    return this.sql
      .exec<OutboxRow & Record<string, SqlStorageValue>>(
        `SELECT * FROM outbox WHERE state = 'pending' ORDER BY seq, id`,
      )
      .toArray();
  }

  all(): OutboxRow[] {
    return this.sql
      .exec<OutboxRow & Record<string, SqlStorageValue>>(`SELECT * FROM outbox ORDER BY seq, id`)
      .toArray();
  }

  attempts(): DeliveryAttempt[] {
    return this.sql
      .exec<DeliveryAttempt & Record<string, SqlStorageValue>>(
        `SELECT outbox_id, attempt, at, status, error, duration_ms FROM delivery_attempt ORDER BY n`,
      )
      .toArray();
  }

  stateOf(id: string): OutboxState | undefined {
    return this.sql.exec<{ state: OutboxState }>(`SELECT state FROM outbox WHERE id = ?`, id).toArray()[0]?.state;
  }

  /**
   * Give up the pending webhook deliveries after `seq` (held back behind one that failed for good),
   * so a run's events stay in order; a retry by the user sends them again, in order.
   */
  holdBackAfter(seq: number, reason: string): void {
    this.sql.exec(
      `UPDATE outbox SET state = 'abandoned', last_error = ? WHERE kind = 'webhook' AND state = 'pending' AND seq > ?`,
      reason,
      seq,
    );
  }

  /** The seq of the run's first webhook delivery that failed for good, if any. */
  firstFailedWebhook(): number | null {
    const row = this.sql
      .exec<{ seq: number }>(`SELECT MIN(seq) AS seq FROM outbox WHERE kind = 'webhook' AND state = 'abandoned'`)
      .toArray()[0];
    return row?.seq ?? null;
  }

  /** The failed webhook deliveries back to pending, due now, on a fresh schedule; how many. */
  retryFailed(now: number): number {
    return this.sql.exec(
      `UPDATE outbox SET state = 'pending', next_at = ?, schedule_base = attempts WHERE kind = 'webhook' AND state = 'abandoned'`,
      now,
    ).rowsWritten;
  }

  /** Record one attempt and the row's new state in one transaction. */
  recordAttempt(
    storage: DurableObjectStorage,
    row: OutboxRow,
    a: Omit<DeliveryAttempt, "outbox_id" | "attempt">,
    next: { state: OutboxState; next_at: number },
  ): void {
    storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO delivery_attempt (outbox_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)`,
        row.id,
        row.attempts + 1,
        a.at,
        a.status,
        a.error,
        a.duration_ms,
      );
      this.sql.exec(
        `UPDATE outbox SET attempts = attempts + 1, state = ?, next_at = ?, last_error = ? WHERE id = ?`,
        next.state,
        next.next_at,
        a.error,
        row.id,
      );
    });
  }
}
