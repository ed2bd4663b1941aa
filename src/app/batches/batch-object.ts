/**
 * `BatchRun`: one Durable Object per batch (docs/batches.md). It holds the batch's requests and
 * starts them as ordinary runs — through the same code as `POST /v1/runs` — at most `concurrency`
 * at a time and within the key's batch slots, records each run's result when it ends, and sends
 * one webhook when the batch ends. Its rows are the truth and its alarm is derived from them, as
 * in a run: a crash loses nothing. A request is started under an Idempotency-Key made from the
 * batch id and its position, so starting it again after a crash finds the same run — each run
 * exists, and is billed, once. This file schedules; the rows are batch-store.ts.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import { findKeyById } from "../../platform/keys";
import type { KeyLimiter } from "../../platform/key-limiter";
import type { RunView } from "../../runs/contract";
import { dispatchOutbox, outboxDueAt, scheduleScale } from "../../runs/outbox";
import { ApiError } from "../errors";
import type { Caller } from "../types";
import { bodyHash } from "../http/idempotency";
import { idempotencyName } from "../runs/billing";
import { isTerminalView } from "../runs/responses";
import { parseRunId, publicRunId, runStub } from "../runs/run-ids";
import { createRunSchema } from "../runs/schemas";
import { prepareRun, startRun } from "../runs/start";
import { BatchStore, DONE, type BatchRow, type CreateBatchInput, type ItemRow } from "./batch-store";
import { DEFAULT_BATCH_KEY_CONCURRENCY, type BatchResult, type BatchView } from "./schemas";

/** How long one alarm waits for a running run to end before it looks again. */
const WAIT_SLICE_MS = 5_000;
/** An alarm that has not come back within this time is presumed dead and runs again. */
const WATCHDOG_MS = 30_000;
/** When the key's batch slots are all taken, look again after this. */
const SLOT_RETRY_MS = 1_000;

export class BatchRun extends DurableObject<Env> {
  private readonly store: BatchStore;
  private ticking: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new BatchStore(ctx.storage);
  }

  async create(input: CreateBatchInput): Promise<BatchView> {
    if (this.store.create(input)) await this.ctx.storage.setAlarm(Date.now());
    return this.store.view();
  }

  /** The batch, or null when this object holds none or `owner` is another key. */
  async get(owner: string): Promise<BatchView | null> {
    return this.store.load()?.owner === owner ? this.store.view() : null;
  }

  /** Every request's line, in input order; null as for get. */
  async results(owner: string): Promise<BatchResult[] | null> {
    return this.store.load()?.owner === owner ? this.store.results() : null;
  }

  /** Stop starting runs, cancel those running; a finished batch is returned unchanged. */
  async cancel(owner: string): Promise<BatchView | null> {
    const batch = this.store.load();
    if (batch?.owner !== owner) return null;
    if (batch.status === "running") {
      this.store.markCanceled(batch);
      for (const item of this.store.items().filter((i) => i.status === "pending"))
        this.store.record(item, {
          custom_id: item.custom_id,
          run_id: null,
          status: "canceled",
          answer: null,
          error: null,
        });
      await this.collect({ ...batch, status: "canceled" }, { cancel: true });
      this.store.finish(batch, "canceled", Date.now());
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.store.view();
  }

  override async alarm(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.tick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async tick(): Promise<void> {
    const batch = this.store.load();
    if (!batch) return;
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    let next: number | null = null;
    if (batch.status === "running") next = await this.advance(batch);
    await dispatchOutbox({
      outbox: this.store.outbox,
      storage: this.ctx.storage,
      db: this.env.DB,
      webhook: batch.webhook,
      fetcher: (input, init) => fetch(input, init),
      now: Date.now,
      scheduleScale: scheduleScale(this.env),
    });
    const due = [next, outboxDueAt(this.store.outbox)].filter((t): t is number => t !== null);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  /** Record what ended, start what fits, end the batch when all is done; when to look again. */
  private async advance(batch: BatchRow): Promise<number | null> {
    const key = this.env.DB ? await findKeyById(this.env.DB, batch.owner) : null;
    if (!key || key.revoked_at !== null) {
      // Nothing more can be started (or billed) for a key that is gone.
      for (const item of this.store.items().filter((i) => i.status === "pending"))
        this.store.record(
          item,
          this.refused(item, "key_revoked", `the API key ${batch.owner} was revoked before this request started`),
        );
    }
    await this.collect(batch, {});
    if (key && key.revoked_at === null) {
      const caller = { env: this.env, key };
      const running = this.store.items().filter((i) => i.status === "running").length;
      const pending = this.store.items().filter((i) => i.status === "pending");
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
    const items = this.store.items();
    if (items.every((i) => DONE.includes(i.status))) {
      this.store.finish(batch, "completed", Date.now());
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
    this.store.markRunning(item, runId);
    try {
      const checked = await prepareRun(caller, createRunSchema.parse(body));
      const { outcome } = await startRun(caller, checked, idempotency);
      if (outcome.kind === "conflict") throw new Error("idempotency conflict on a batch request");
      if (isTerminalView(outcome.view)) this.recordRun(batch, { ...item, run_id: runId }, outcome.view);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err; // a transient failure: the next alarm tries again
      this.store.record(item, this.refused(item, err.code ?? "invalid_request", err.message));
      await this.release(batch, item);
    }
  }

  /** Record the runs that ended (with `cancel`, cancel those still running first). */
  private async collect(batch: BatchRow, opts: { cancel?: boolean }): Promise<void> {
    for (const item of this.store.items().filter((i) => i.status === "running" && i.run_id)) {
      const stub = runStub(this.env, parseRunId(this.env, item.run_id as string));
      const view = opts.cancel ? await stub.cancel(batch.owner) : await stub.view(batch.owner);
      if (!view) {
        // Recorded, but the run was never created (a crash in between): start it again.
        this.store.markPending(item);
        continue;
      }
      if (isTerminalView(view)) this.recordRun(batch, item, view);
    }
  }

  private recordRun(batch: BatchRow, item: ItemRow, view: RunView): void {
    this.store.record(item, {
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
}

function keyConcurrency(env: Env): number {
  const n = Number(env.BATCH_KEY_CONCURRENCY);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_BATCH_KEY_CONCURRENCY;
}
