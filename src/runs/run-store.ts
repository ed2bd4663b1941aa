/**
 * Storage of one run inside its Durable Object. Every write that belongs together happens in
 * one synchronous transaction: a step's output, its events and the clearing of its retry row.
 */
import type { ImageInput, ImageMediaType } from "../inference/backend";
import type { RunSpec, RunResult, StepOutput, StepSpec } from "../reasoning/types";
import type { Price, RunError, RunEvent, RunLimits, RunOrigin, RunStatus, WebhookConfig } from "./contract";
import { OutboxStore, wantsEvent, webhookId } from "./outbox-store";
import { migrate } from "./schema";

/** SQLite values in a Durable Object are limited to 2 MB; images are split below that. */
const IMAGE_CHUNK_BYTES = 1 << 20;

export interface RunRow {
  id: string;
  model: string;
  spec: RunSpec;
  status: RunStatus;
  metadata: Record<string, string>;
  limits: RunLimits;
  idem_hash: string | null;
  image_media_type: ImageMediaType | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: RunResult | null;
  error: RunError | null;
  owner: string | null;
  price: Price | null;
  webhook: WebhookConfig | null;
  origin: RunOrigin | null;
}

interface RawRunRow extends Record<string, SqlStorageValue> {
  id: string;
  model: string;
  spec: string;
  status: string;
  metadata: string;
  limits: string;
  idem_hash: string | null;
  image_media_type: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  error: string | null;
  owner: string | null;
  price: string | null;
  webhook: string | null;
  origin: string | null;
}

/** An event to persist: the core's stage events and the run's own lifecycle events. */
export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface CommittedStep {
  kind: StepSpec["kind"];
  output: StepOutput;
}

export interface RetryRow {
  id: string;
  attempts: number;
  next_at: number;
  last_error: string;
}

export interface NewRun {
  id: string;
  model: string;
  spec: RunSpec;
  metadata: Record<string, string>;
  limits: RunLimits;
  idem_hash: string | null;
  image?: ImageInput;
  created_at: number;
  owner: string | null;
  price: Price | null;
  webhook: WebhookConfig | null;
  origin?: RunOrigin;
}

/** What the usage ledger receives when a run ends (D1 `usage_ledger`, one row per run). */
export interface LedgerEntry {
  run_id: string;
  key_id: string;
  model: string;
  day: string;
  status: string;
  input_tokens: number | null;
  output_tokens: number | null;
  judge_input_tokens: number | null;
  judge_output_tokens: number | null;
  backend_ms: number;
  cost_usd: number;
  estimated: boolean;
}

export class RunStore {
  private readonly sql: SqlStorage;
  readonly outbox: OutboxStore;
  /** The run's webhook, cached: every appended event may enqueue a delivery. */
  private webhook: { runId: string; config: WebhookConfig } | null | undefined;

  /** Whether this object holds a run; tables are made only when one is created, so that a
   * look-up of an id that names no run leaves no storage behind. */
  private initialised: boolean;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    this.outbox = new OutboxStore(this.sql);
    this.initialised =
      this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run'`).toArray().length > 0;
    if (this.initialised) storage.transactionSync(() => migrate(this.sql));
  }

  loadRun(): RunRow | null {
    if (!this.initialised) return null;
    const raw = this.sql.exec<RawRunRow>(`SELECT * FROM run LIMIT 1`).toArray()[0];
    if (!raw) return null;
    return {
      ...raw,
      spec: JSON.parse(raw.spec) as RunSpec,
      status: raw.status as RunStatus,
      metadata: JSON.parse(raw.metadata) as Record<string, string>,
      limits: JSON.parse(raw.limits) as RunLimits,
      image_media_type: raw.image_media_type as ImageMediaType | null,
      result: raw.result ? (JSON.parse(raw.result) as RunResult) : null,
      error: raw.error ? (JSON.parse(raw.error) as RunError) : null,
      price: raw.price ? (JSON.parse(raw.price) as Price) : null,
      webhook: raw.webhook ? (JSON.parse(raw.webhook) as WebhookConfig) : null,
      origin: raw.origin ? (JSON.parse(raw.origin) as RunOrigin) : null,
    };
  }

  insertRun(run: NewRun, firstEvents: NewEvent[]): void {
    this.storage.transactionSync(() => {
      migrate(this.sql);
      this.initialised = true;
      this.sql.exec(
        `INSERT INTO run (id, model, spec, status, metadata, limits, idem_hash, image_media_type, created_at, owner, price, webhook, origin)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        run.id,
        run.model,
        JSON.stringify(run.spec),
        JSON.stringify(run.metadata),
        JSON.stringify(run.limits),
        run.idem_hash,
        run.image?.media_type ?? null,
        run.created_at,
        run.owner,
        run.price ? JSON.stringify(run.price) : null,
        run.webhook ? JSON.stringify(run.webhook) : null,
        run.origin ? JSON.stringify(run.origin) : null,
      );
      this.webhook = run.webhook ? { runId: run.id, config: run.webhook } : null;
      if (run.image) {
        const bytes = run.image.bytes;
        for (let i = 0, idx = 0; i < bytes.length; i += IMAGE_CHUNK_BYTES, idx++) {
          this.sql.exec(
            `INSERT INTO image_chunk (idx, bytes) VALUES (?, ?)`,
            idx,
            bytes.slice(i, i + IMAGE_CHUNK_BYTES),
          );
        }
      }
      this.appendEvents(firstEvents, run.created_at);
    });
  }

  loadImage(): ImageInput | undefined {
    const run = this.sql
      .exec<{ image_media_type: string | null }>(`SELECT image_media_type FROM run LIMIT 1`)
      .toArray()[0];
    if (!run?.image_media_type) return undefined;
    const chunks = this.sql.exec<{ bytes: ArrayBuffer }>(`SELECT bytes FROM image_chunk ORDER BY idx`).toArray();
    const total = chunks.reduce((sum, c) => sum + c.bytes.byteLength, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(new Uint8Array(c.bytes), offset);
      offset += c.bytes.byteLength;
    }
    return { bytes, media_type: run.image_media_type as ImageMediaType };
  }

  loadSteps(): Map<string, CommittedStep> {
    if (!this.initialised) return new Map();
    const rows = this.sql
      .exec<{ id: string; kind: string; output: string }>(`SELECT id, kind, output FROM step ORDER BY committed_at, id`)
      .toArray();
    return new Map(
      rows.map((r) => [r.id, { kind: r.kind as StepSpec["kind"], output: JSON.parse(r.output) as StepOutput }]),
    );
  }

  loadRetries(): Map<string, RetryRow> {
    if (!this.initialised) return new Map();
    const rows = this.sql.exec<RetryRow & Record<string, SqlStorageValue>>(`SELECT * FROM step_retry`).toArray();
    return new Map(
      rows.map((r) => [r.id, { id: r.id, attempts: r.attempts, next_at: r.next_at, last_error: r.last_error }]),
    );
  }

  /** Commit one step: its output, its events and the end of its retry schedule, atomically. */
  commitStep(step: StepSpec, output: StepOutput, attempts: number, events: NewEvent[], now: number): void {
    this.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO step (id, kind, stage, output, attempts, committed_at) VALUES (?, ?, ?, ?, ?, ?)`,
        step.id,
        step.kind,
        step.stage,
        JSON.stringify(output),
        attempts,
        now,
      );
      this.sql.exec(`DELETE FROM step_retry WHERE id = ?`, step.id);
      this.appendEvents(events, now);
    });
  }

  recordFailure(stepId: string, attempts: number, nextAt: number, error: string): void {
    this.sql.exec(
      `INSERT INTO step_retry (id, attempts, next_at, last_error) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET attempts = excluded.attempts, next_at = excluded.next_at, last_error = excluded.last_error`,
      stepId,
      attempts,
      nextAt,
      error,
    );
  }

  markStarted(now: number, events: NewEvent[]): void {
    this.storage.transactionSync(() => {
      this.sql.exec(`UPDATE run SET status = 'running', started_at = ? WHERE status = 'queued'`, now);
      this.appendEvents(events, now);
    });
  }

  /**
   * End the run: status, result or error, the terminal event and (for an owned run) its ledger
   * entry in the outbox, in one transaction — so the bill can neither be lost nor written twice.
   */
  finish(
    status: Exclude<RunStatus, "queued" | "running">,
    now: number,
    result: RunResult | null,
    error: RunError | null,
    event: NewEvent,
    ledger: LedgerEntry | null,
  ): void {
    this.storage.transactionSync(() => {
      if (ledger) {
        this.outbox.enqueue({
          id: "ledger",
          kind: "ledger",
          seq: 0,
          event_type: "usage.recorded",
          payload: JSON.stringify(ledger),
          next_at: now,
        });
      }
      this.sql.exec(
        `UPDATE run SET status = ?, finished_at = ?, result = ?, error = ?, started_at = COALESCE(started_at, ?)`,
        status,
        now,
        result ? JSON.stringify(result) : null,
        error ? JSON.stringify(error) : null,
        now,
      );
      this.sql.exec(`DELETE FROM step_retry`);
      this.appendEvents([event], now);
    });
  }

  /** Remember a fork made of this run (again: nothing changes). */
  recordFork(runId: string, from: string, now: number): void {
    this.sql.exec(`INSERT OR IGNORE INTO fork (run_id, from_stage, at) VALUES (?, ?, ?)`, runId, from, now);
  }

  /** The forks made of this run, oldest first. */
  forks(): { run_id: string; from: string }[] {
    if (!this.initialised) return [];
    return this.sql
      .exec<{ run_id: string; from_stage: string }>(`SELECT run_id, from_stage FROM fork ORDER BY at, run_id`)
      .toArray()
      .map((r) => ({ run_id: r.run_id, from: r.from_stage }));
  }

  eventsAfter(after: number, limit: number): RunEvent[] {
    if (!this.initialised) return [];
    return this.sql
      .exec<{ seq: number; type: string; data: string; at: number }>(
        `SELECT seq, type, data, at FROM event WHERE seq > ? ORDER BY seq LIMIT ?`,
        after,
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, type: r.type, data: JSON.parse(r.data) as Record<string, unknown>, at: r.at }));
  }

  private appendEvents(events: NewEvent[], now: number): void {
    const webhook = this.runWebhook();
    for (const e of events) {
      const { seq } = this.sql
        .exec<{ seq: number }>(
          `INSERT INTO event (type, data, at) VALUES (?, ?, ?) RETURNING seq`,
          e.type,
          JSON.stringify(e.data),
          now,
        )
        .one();
      if (webhook && wantsEvent(webhook.config, e.type)) {
        const payload = {
          type: e.type,
          timestamp: new Date(now).toISOString(),
          data: { run_id: webhook.runId, seq, ...e.data },
        };
        this.outbox.enqueue({
          id: webhookId(webhook.runId, seq),
          kind: "webhook",
          seq,
          event_type: e.type,
          payload: JSON.stringify(payload),
          next_at: now,
        });
      }
    }
  }

  private runWebhook(): { runId: string; config: WebhookConfig } | null {
    if (this.webhook === undefined) {
      const row = this.sql
        .exec<{ id: string; webhook: string | null }>(`SELECT id, webhook FROM run LIMIT 1`)
        .toArray()[0];
      this.webhook = row?.webhook ? { runId: row.id, config: JSON.parse(row.webhook) as WebhookConfig } : null;
    }
    return this.webhook;
  }
}
