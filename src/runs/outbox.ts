/**
 * Delivers the outbox: the usage-ledger entry to D1 (an idempotent insert keyed by run id, so a
 * retry after a crash can never bill twice) and webhook events, signed per Standard Webhooks, in
 * the order of the run's events, retried on alarms along a backoff schedule until a 2xx or the
 * end of the schedule. Every attempt is logged on the run.
 */
import { webhookHeaders } from "../platform/webhook-signature";
import type { WebhookConfig } from "./contract";
import type { OutboxRow, OutboxStore } from "./outbox-store";

/**
 * Waits before each retry of a webhook delivery: seconds first, so a receiver back from a short
 * outage (a deploy, a restart) has its events within about a minute, then minutes and hours, about
 * a day in all (Standard Webhooks' reference services give up after a few days; a run's events
 * are worth less after a day). Each wait gets ±20 % jitter, so receivers coming back together
 * are not hit by every run at the same instant.
 */
export const WEBHOOK_SCHEDULE_MS = [
  1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000,
  14_400_000, 28_800_000, 28_800_000,
];
const JITTER = 0.2;
/** The ledger is money: it is retried for as long as the object lives, backing off to an hour. */
const LEDGER_RETRY_CAP_MS = 3_600_000;
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface OutboxDeps {
  outbox: OutboxStore;
  storage: DurableObjectStorage;
  db: D1Database | undefined;
  webhook: WebhookConfig | null;
  fetcher: typeof fetch;
  now: () => number;
  /** Multiplies the webhook schedule (tests shrink it). */
  scheduleScale: number;
  /** [0, 1) for the schedule's jitter; Math.random unless a test fixes it. */
  random?: () => number;
  /** Test hook: called after a delivery succeeded, before it is marked (a throw simulates a crash there). */
  afterDelivery?: (row: OutboxRow) => void;
}

/** WEBHOOK_SCHEDULE_SCALE (tests shrink the schedule), else 1. */
export function scheduleScale(env: { WEBHOOK_SCHEDULE_SCALE?: string }): number {
  const scale = Number(env.WEBHOOK_SCHEDULE_SCALE);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Deliver what is due now. What remains is read back from the rows by `outboxDueAt`. */
export async function dispatchOutbox(deps: OutboxDeps): Promise<void> {
  for (const row of deps.outbox.pending().filter((r) => r.kind === "ledger")) {
    if (row.next_at <= deps.now()) await deliver(deps, row, () => writeLedger(deps.db, row.payload), ledgerRetry);
  }
  // Webhooks go out in event order: a failing event holds back the ones after it, and one that
  // failed for good holds them back until the user retries (they are marked failed with it).
  const failed = deps.outbox.firstFailedWebhook();
  if (failed !== null) {
    deps.outbox.holdBackAfter(failed, `held back: an earlier event of this run (${failed}) was not delivered`);
    return;
  }
  for (const row of deps.outbox.pending().filter((r) => r.kind === "webhook")) {
    if (row.next_at > deps.now()) break;
    const retryAt = await deliver(
      deps,
      row,
      () => postWebhook(deps, row),
      (attempts) => webhookRetry(attempts - row.schedule_base, deps.scheduleScale, deps.random ?? Math.random),
    );
    if (retryAt !== null) break;
    if (deps.outbox.stateOf(row.id) === "abandoned") {
      deps.outbox.holdBackAfter(row.seq, `held back: an earlier event of this run (${row.seq}) was not delivered`);
      break;
    }
  }
}

/** When the outbox next has work (epoch ms), from its rows: every ledger row, and the first pending webhook. */
export function outboxDueAt(outbox: OutboxStore): number | null {
  const pending = outbox.pending();
  const times = pending.filter((r) => r.kind === "ledger").map((r) => r.next_at);
  const head = pending.find((r) => r.kind === "webhook");
  if (head) times.push(head.next_at);
  return times.length === 0 ? null : Math.min(...times);
}

/** One attempt; returns the time of the next attempt, or null when the row is settled. */
async function deliver(
  deps: OutboxDeps,
  row: OutboxRow,
  attempt: () => Promise<number | null>,
  retry: (attempts: number) => number | null,
): Promise<number | null> {
  const started = deps.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    status = await attempt();
    if (status !== null && (status < 200 || status > 299)) error = `receiver answered ${status}`;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const at = deps.now();
  const base = { at, status, error, duration_ms: at - started };
  if (error === null) {
    deps.afterDelivery?.(row);
    deps.outbox.recordAttempt(deps.storage, row, base, { state: "delivered", next_at: at });
    return null;
  }
  const wait = retry(row.attempts + 1);
  if (wait === null) {
    deps.outbox.recordAttempt(deps.storage, row, base, { state: "abandoned", next_at: at });
    return null;
  }
  deps.outbox.recordAttempt(deps.storage, row, base, { state: "pending", next_at: at + wait });
  return at + wait;
}

/** Wait before the next attempt after `attemptsMade` attempts of this schedule, or null when it is over. */
export function webhookRetry(attemptsMade: number, scale: number, random: () => number = Math.random): number | null {
  const wait = WEBHOOK_SCHEDULE_MS[attemptsMade - 1];
  if (wait === undefined) return null;
  return Math.round(wait * scale * (1 - JITTER + 2 * JITTER * random()));
}

function ledgerRetry(attemptsMade: number): number {
  return Math.min(LEDGER_RETRY_CAP_MS, 1_000 * 2 ** Math.min(attemptsMade, 20));
}

async function postWebhook(deps: OutboxDeps, row: OutboxRow): Promise<number> {
  if (!deps.webhook) throw new Error("the run has no webhook");
  const headers = await webhookHeaders(deps.webhook.secret, row.id, row.payload, deps.now());
  const res = await deps.fetcher(deps.webhook.url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json", "user-agent": "llava-x1-edge-webhooks/1" },
    body: row.payload,
    redirect: "manual",
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  await res.body?.cancel();
  return res.status;
}

async function writeLedger(db: D1Database | undefined, payload: string): Promise<null> {
  if (!db) throw new Error("no D1 binding `DB`: the usage ledger cannot be written");
  const e = JSON.parse(payload) as Record<string, unknown>;
  // ON CONFLICT DO NOTHING: a retry after a crash between this insert and the outbox update is harmless.
  await db
    .prepare(
      `INSERT INTO usage_ledger (run_id, key_id, model, day, status, input_tokens, output_tokens, judge_input_tokens,
         judge_output_tokens, backend_ms, cost_usd, estimated, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id) DO NOTHING`,
    )
    .bind(
      e.run_id,
      e.key_id,
      e.model,
      e.day,
      e.status,
      e.input_tokens,
      e.output_tokens,
      e.judge_input_tokens,
      e.judge_output_tokens,
      e.backend_ms,
      e.cost_usd,
      e.estimated ? 1 : 0,
      Date.now(),
    )
    .run();
  return null;
}
