/**
 * `BatchRun`: one Durable Object per batch (docs/batches.md). It holds the batch's requests and
 * starts them as ordinary runs — through the same code as `POST /v1/runs` — at most `concurrency`
 * at a time and within the key's batch slots, records each run's result when it ends, and sends
 * one webhook when the batch ends. Its rows are the truth and its alarm is derived from them, as
 * in a run: a crash loses nothing. A request is started under an Idempotency-Key made from the
 * batch id and its position, so starting it again after a crash finds the same run — each run
 * exists, and is billed, once.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import { findKeyById } from "../../platform/keys";
import type { KeyLimiter } from "../../platform/key-limiter";
import type { RunView, WebhookConfig } from "../../runs/contract";
import { dispatchOutbox, outboxDueAt, scheduleScale } from "../../runs/outbox";
import { OutboxStore, webhookId } from "../../runs/outbox-store";
import { ApiError } from "../errors";
import type { Caller } from "../types";
import { bodyHash } from "../http/idempotency";
import { idempotencyName } from "../runs/billing";
import { isTerminalView } from "../runs/responses";
import { parseRunId, publicRunId, runStub } from "../runs/run-ids";
import { createRunSchema } from "../runs/schemas";
import { prepareRun, startRun } from "../runs/start";
import { webhookView } from "../../runs/view";
import { DEFAULT_BATCH_KEY_CONCURRENCY, type BatchResult, type BatchView } from "./schemas";

/** How long one alarm waits for a running run to end before it looks again. */
const WAIT_SLICE_MS = 5_000;
/** An alarm that has not come back within this time is presumed dead and runs again. */
const WATCHDOG_MS = 30_000;
/** When the key's batch slots are all taken, look again after this. */
const SLOT_RETRY_MS = 1_000;

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

type ItemStatus = BatchResult["status"];

interface BatchRow {
  id: string;
  owner: string;
  status: BatchView["status"];
  concurrency: number;
  webhook: WebhookConfig | null;
  metadata: Record<string, string>;
  created_at: number;
  finished_at: number | null;
}

interface ItemRow {
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
  `CREATE TABLE IF NOT EXISTS outbox (
     id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('ledger','webhook')), seq INTEGER NOT NULL,
     event_type TEXT NOT NULL, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending','delivered','abandoned')),
     last_error TEXT, schedule_base INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE TABLE IF NOT EXISTS delivery_attempt (
     n INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id TEXT NOT NULL, attempt INTEGER NOT NULL,
     at INTEGER NOT NULL, status INTEGER, error TEXT, duration_ms INTEGER NOT NULL
   )`,
];

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const DONE: ItemStatus[] = ["succeeded", "failed", "canceled"];

export class BatchRun extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: OutboxStore;
  private ticking: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.outbox = new OutboxStore(this.sql);
  }

  async create(input: CreateBatchInput): Promise<BatchView> {
    if (!this.load()) {
      this.ctx.storage.transactionSync(() => {
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
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.view() as BatchView;
  }

  /** The batch, or null when this object holds none or `owner` is another key. */
  async get(owner: string): Promise<BatchView | null> {
    return this.load()?.owner === owner ? this.view() : null;
  }

  /** Every request's line, in input order; null as for get. */
  async results(owner: string): Promise<BatchResult[] | null> {
    if (this.load()?.owner !== owner) return null;
    return this.items().map((item) =>
      item.result
        ? (JSON.parse(item.result) as BatchResult)
        : { custom_id: item.custom_id, run_id: item.run_id, status: item.status, answer: null, error: null },
    );
  }

  /** Stop starting runs, cancel those running; a finished batch is returned unchanged. */
  async cancel(owner: string): Promise<BatchView | null> {
    const batch = this.load();
    if (batch?.owner !== owner) return null;
    if (batch.status === "running") {
      this.sql.exec(`UPDATE batch SET status = 'canceled' WHERE id = ?`, batch.id);
      for (const item of this.items().filter((i) => i.status === "pending"))
        this.record(item, { custom_id: item.custom_id, run_id: null, status: "canceled", answer: null, error: null });
      await this.collect({ ...batch, status: "canceled" }, { cancel: true });
      this.finish(batch, "canceled");
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.view();
  }

  override async alarm(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async tick(): Promise<void> {
    const batch = this.load();
    if (!batch) return;
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    let next: number | null = null;
    if (batch.status === "running") next = await this.advance(batch);
    await dispatchOutbox({
      outbox: this.outbox,
      storage: this.ctx.storage,
      db: this.env.DB,
      webhook: batch.webhook,
      fetcher: (input, init) => fetch(input, init),
      now: Date.now,
      scheduleScale: scheduleScale(this.env),
    });
    const due = [next, outboxDueAt(this.outbox)].filter((t): t is number => t !== null);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  /** Record what ended, start what fits, end the batch when all is done; when to look again. */
  private async advance(batch: BatchRow): Promise<number | null> {
    const key = this.env.DB ? await findKeyById(this.env.DB, batch.owner) : null;
    if (!key || key.revoked_at !== null) {
      // Nothing more can be started (or billed) for a key that is gone.
      for (const item of this.items().filter((i) => i.status === "pending"))
        this.record(
          item,
          this.refused(item, "key_revoked", `the API key ${batch.owner} was revoked before this request started`),
        );
    }
    await this.collect(batch, {});
    if (key && key.revoked_at === null) {
      const caller = { env: this.env, key };
      const running = this.items().filter((i) => i.status === "running").length;
      const pending = this.items().filter((i) => i.status === "pending");
      const starting: ItemRow[] = [];
      for (const item of pending) {
        if (running + starting.length >= batch.concurrency) break;
        if (!(await this.acquire(batch, item))) break;
        starting.push(item);
      }
      // Every slot of the key is taken by its other batches: look again shortly.
      if (pending.length > 0 && running + starting.length === 0) return Date.now() + SLOT_RETRY_MS;
      // Started together: each start is a few round trips (checks, D1, the key's limiter, the run).
      await Promise.all(starting.map((item) => this.start(batch, item, caller)));
    }
    const items = this.items();
    if (items.every((i) => DONE.includes(i.status))) {
      this.finish(batch, "completed");
      return null;
    }
    await this.waitForOne(
      batch,
      items.filter((i) => i.status === "running"),
    );
    return Date.now();
  }

  /** Start one request as a run; a request the service refuses now is recorded as failed. */
  private async start(batch: BatchRow, item: ItemRow, caller: Caller): Promise<void> {
    const body = JSON.parse(item.body) as unknown;
    const idempotency = {
      key: `batch:${batch.id}:${item.idx}`,
      body_hash: await bodyHash({ batch: batch.id, custom_id: item.custom_id, body }),
    };
    // The run's id is known before it exists: recorded first, so a crash in between finds it again.
    const runId = publicRunId(this.env.RUNS.idFromName(idempotencyName(batch.owner, idempotency.key)));
    this.sql.exec(`UPDATE item SET status = 'running', run_id = ? WHERE idx = ?`, runId, item.idx);
    try {
      const checked = await prepareRun(caller, createRunSchema.parse(body));
      const { outcome } = await startRun(caller, checked, idempotency);
      if (outcome.kind === "conflict") throw new Error("idempotency conflict on a batch request");
      if (isTerminalView(outcome.view)) this.recordRun(batch, { ...item, run_id: runId }, outcome.view);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err; // a transient failure: the next alarm tries again
      this.record(item, this.refused(item, err.code ?? "invalid_request", err.message));
      await this.release(batch, item);
    }
  }

  /** Record the runs that ended (with `cancel`, cancel those still running first). */
  private async collect(batch: BatchRow, opts: { cancel?: boolean }): Promise<void> {
    for (const item of this.items().filter((i) => i.status === "running" && i.run_id)) {
      const stub = runStub(this.env, parseRunId(this.env, item.run_id as string));
      const view = opts.cancel ? await stub.cancel(batch.owner) : await stub.view(batch.owner);
      if (!view) {
        // Recorded, but the run was never created (a crash in between): start it again.
        this.sql.exec(`UPDATE item SET status = 'pending', run_id = NULL WHERE idx = ?`, item.idx);
        continue;
      }
      if (isTerminalView(view)) this.recordRun(batch, item, view);
    }
  }

  private recordRun(batch: BatchRow, item: ItemRow, view: RunView): void {
    this.record(item, {
      custom_id: item.custom_id,
      run_id: view.id,
      status: view.status === "queued" ? "running" : view.status,
      answer: view.answer,
      stages: view.stages as Record<string, string>,
      error: view.error ? { code: view.error.code, message: view.error.message } : null,
      usage: {
        ...(view.usage.total_tokens !== undefined ? { total_tokens: view.usage.total_tokens } : {}),
        ...(view.usage.cost_usd !== undefined ? { cost_usd: view.usage.cost_usd } : {}),
        model_steps: view.usage.model_steps,
      },
    });
    this.ctx.waitUntil(this.release(batch, item));
  }

  private refused(item: ItemRow, code: string, message: string): BatchResult {
    return { custom_id: item.custom_id, run_id: null, status: "failed", answer: null, error: { code, message } };
  }

  private record(item: ItemRow, result: BatchResult): void {
    this.sql.exec(
      `UPDATE item SET status = ?, run_id = ?, result = ? WHERE idx = ?`,
      result.status,
      result.run_id,
      JSON.stringify(result),
      item.idx,
    );
  }

  /** Wait (a bounded slice) until one of the running runs ends. */
  private async waitForOne(batch: BatchRow, running: ItemRow[]): Promise<void> {
    if (running.length === 0) return;
    await Promise.race(
      running.map((item) =>
        runStub(this.env, parseRunId(this.env, item.run_id as string)).wait(WAIT_SLICE_MS, batch.owner),
      ),
    );
  }

  private limiter(owner: string): DurableObjectStub<KeyLimiter> | null {
    const ns = this.env.LIMITER;
    return ns ? ns.get(ns.idFromName(owner)) : null;
  }

  private async acquire(batch: BatchRow, item: ItemRow): Promise<boolean> {
    const limiter = this.limiter(batch.owner);
    return limiter ? limiter.acquireBatchSlot(`${batch.id}:${item.idx}`, keyConcurrency(this.env)) : true;
  }

  private async release(batch: BatchRow, item: ItemRow): Promise<void> {
    await this.limiter(batch.owner)?.releaseBatchSlot(`${batch.id}:${item.idx}`);
  }

  /** End the batch and queue its one webhook. */
  private finish(batch: BatchRow, status: "completed" | "canceled"): void {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
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

  private initialised(): boolean {
    return this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'batch'`).toArray().length > 0;
  }

  private load(): BatchRow | null {
    if (!this.initialised()) return null;
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

  private items(): ItemRow[] {
    return this.sql
      .exec<ItemRow & Record<string, SqlStorageValue>>(
        `SELECT idx, custom_id, body, status, run_id, result FROM item ORDER BY idx`,
      )
      .toArray();
  }

  private counts(): BatchView["counts"] {
    const counts = { total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
    for (const row of this.sql
      .exec<{ status: ItemStatus; n: number }>(`SELECT status, COUNT(*) AS n FROM item GROUP BY status`)
      .toArray()) {
      counts[row.status] = row.n;
      counts.total += row.n;
    }
    return counts;
  }

  private view(): BatchView {
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

function keyConcurrency(env: Env): number {
  const n = Number(env.BATCH_KEY_CONCURRENCY);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_BATCH_KEY_CONCURRENCY;
}
