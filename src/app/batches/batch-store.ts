/**
 * The rows of one `BatchRun` (batch-object.ts): the batch, its requests in input order with each
 * one's run and result, and the outbox of its one webhook. Everything the object knows is here,
 * read back on every alarm, so a crash loses nothing.
 */
import type { WebhookConfig } from "../../runs/contract";
import { OUTBOX_SCHEDULE_BASE, OUTBOX_TABLES, OutboxStore, webhookId } from "../../runs/outbox-store";
import { webhookView } from "../../runs/view";
import type { BatchResult, BatchView } from "./schemas";

export interface CreateBatchInput {
  id: string;
  owner: string;
  concurrency: number;
  webhook: WebhookConfig | null;
  metadata: Record<string, string>;
  /** Each request's body as sent (JSON), checked by the route already. */
  items: { custom_id: string; body: string }[];
  created_at: number;
}

export type ItemStatus = BatchResult["status"];

export interface BatchRow {
  id: string;
  owner: string;
  status: BatchView["status"];
  concurrency: number;
  webhook: WebhookConfig | null;
  metadata: Record<string, string>;
  created_at: number;
  finished_at: number | null;
}

export interface ItemRow {
  idx: number;
  custom_id: string;
  body: string;
  status: ItemStatus;
  run_id: string | null;
  result: string | null;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS batch (
     id TEXT PRIMARY KEY, owner TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('running','completed','canceled')),
     concurrency INTEGER NOT NULL, webhook TEXT, metadata TEXT NOT NULL,
     created_at INTEGER NOT NULL, finished_at INTEGER
   )`,
  `CREATE TABLE IF NOT EXISTS item (
     idx INTEGER PRIMARY KEY, custom_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending','running','succeeded','failed','canceled')),
     run_id TEXT, result TEXT
   )`,
  // The batch's webhook goes through the same outbox as a run's (src/runs/outbox.ts).
  ...OUTBOX_TABLES,
  OUTBOX_SCHEDULE_BASE,
];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const DONE: readonly ItemStatus[] = ["succeeded", "failed", "canceled"];

export class BatchStore {
  readonly outbox: OutboxStore;
  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.outbox = new OutboxStore(this.sql);
  }

  /** Writes the batch and its requests, all pending; false when this object holds a batch already. */
  create(input: CreateBatchInput): boolean {
    if (this.load()) return false;
    this.storage.transactionSync(() => {
      for (const statement of SCHEMA) this.sql.exec(statement);
      this.sql.exec(
        `INSERT INTO batch (id, owner, status, concurrency, webhook, metadata, created_at) VALUES (?, ?, 'running', ?, ?, ?, ?)`,
        input.id,
        input.owner,
        input.concurrency,
        input.webhook ? JSON.stringify(input.webhook) : null,
        JSON.stringify(input.metadata),
        input.created_at,
      );
      input.items.forEach((item, idx) =>
        this.sql.exec(
          `INSERT INTO item (idx, custom_id, body, status) VALUES (?, ?, ?, 'pending')`,
          idx,
          item.custom_id,
          item.body,
        ),
      );
    });
    return true;
  }

  load(): BatchRow | null {
    const exists = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'batch'`).toArray();
    if (exists.length === 0) return null;
    const raw = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT * FROM batch LIMIT 1`).toArray()[0];
    if (!raw) return null;
    return {
      id: raw.id as string,
      owner: raw.owner as string,
      status: raw.status as BatchRow["status"],
      concurrency: raw.concurrency as number,
      webhook: raw.webhook ? (JSON.parse(raw.webhook as string) as WebhookConfig) : null,
      metadata: JSON.parse(raw.metadata as string) as Record<string, string>,
      created_at: raw.created_at as number,
      finished_at: (raw.finished_at as number | null) ?? null,
    };
  }

  /** Every request, in input order. */
  items(): ItemRow[] {
    return this.sql
      .exec<ItemRow & Record<string, SqlStorageValue>>(
        `SELECT idx, custom_id, body, status, run_id, result FROM item ORDER BY idx`,
      )
      .toArray();
  }

  /** Every request's result line, in input order (a request not finished yet says so). */
  results(): BatchResult[] {
    return this.items().map((item) =>
      item.result
        ? (JSON.parse(item.result) as BatchResult)
        : { custom_id: item.custom_id, run_id: item.run_id, status: item.status, answer: null, error: null },
    );
  }

  /** The request is starting as this run (recorded before the run exists: a crash finds it again). */
  markRunning(item: ItemRow, runId: string): void {
    this.sql.exec(`UPDATE item SET status = 'running', run_id = ? WHERE idx = ?`, runId, item.idx);
  }

  /** The request's run was never created: it starts again. */
  markPending(item: ItemRow): void {
    this.sql.exec(`UPDATE item SET status = 'pending', run_id = NULL WHERE idx = ?`, item.idx);
  }

  record(item: ItemRow, result: BatchResult): void {
    this.sql.exec(
      `UPDATE item SET status = ?, run_id = ?, result = ? WHERE idx = ?`,
      result.status,
      result.run_id,
      JSON.stringify(result),
      item.idx,
    );
  }

  markCanceled(batch: BatchRow): void {
    this.sql.exec(`UPDATE batch SET status = 'canceled' WHERE id = ?`, batch.id);
  }

  /** End the batch and queue its one webhook, in one transaction. */
  finish(batch: BatchRow, status: "completed" | "canceled", now: number): void {
    this.storage.transactionSync(() => {
      this.sql.exec(`UPDATE batch SET status = ?, finished_at = ? WHERE id = ?`, status, now, batch.id);
      if (!batch.webhook) return;
      const type = `batch.${status}`;
      const payload = {
        type,
        timestamp: new Date(now).toISOString(),
        data: { batch_id: batch.id, status, counts: this.counts() },
      };
      this.outbox.enqueue({
        id: webhookId(batch.id, 1),
        kind: "webhook",
        seq: 1,
        event_type: type,
        payload: JSON.stringify(payload),
        next_at: now,
      });
    });
  }

  counts(): BatchView["counts"] {
    const counts = { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
    for (const row of this.sql
      .exec<{ status: ItemStatus; n: number }>(`SELECT status, COUNT(*) AS n FROM item GROUP BY status`)
      .toArray()) {
      counts[row.status] = row.n;
      counts.total += row.n;
    }
    return counts;
  }

  view(): BatchView {
    const batch = this.load();
    if (!batch) throw new Error("no batch in this object");
    const self = `/v1/batches/${batch.id}`;
    return {
      id: batch.id,
      object: "batch",
      status: batch.status,
      concurrency: batch.concurrency,
      counts: this.counts(),
      created_at: iso(batch.created_at) ?? "",
      finished_at: iso(batch.finished_at),
      metadata: batch.metadata,
      webhook: batch.webhook ? webhookView(batch.webhook, this.outbox) : null,
      links: { self, results: `${self}/results`, cancel: `${self}/cancel` },
    };
  }
}
