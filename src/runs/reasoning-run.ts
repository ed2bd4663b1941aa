/**
 * `ReasoningRun`: one Durable Object per run (docs/architecture.md). SQLite rows are the truth; the
 * alarm is derived from them after every change. The search itself is the pure core's planner.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { ImageInput } from "../inference/backend";
import { resolveBackend, resolveVerifier } from "../inference/registry";
import {
  OWNER_HEADER,
  type CreateRunInput,
  type CreateRunOutcome,
  type RunEvent,
  type RunLineage,
  type RunObjectApi,
  type RunView,
} from "./contract";
import { streamEvents } from "./event-stream";
import { isTerminal, RunExecutor } from "./executor";
import type { SpendCounter } from "./reservations";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry";
import { dispatchOutbox, outboxDueAt, scheduleScale } from "./outbox";
import { RunStore, type CommittedStep, type RunRow } from "./run-store";
import { acceptedStages, givenStages } from "../reasoning/stage-view";
import { STAGES, type Stage } from "../reasoning/stages";
import type { StageKey } from "../reasoning/steps";
import { costUsd, rollUpUsage } from "./usage";
import { afterCommitHooks, afterDeliveryHooks } from "./test-hooks";
import { toRunView } from "./view";

/**
 * A tick that has not come back within this time is presumed dead: the watchdog alarm resumes it.
 * It bounds recovery after a crash, so it is short; a live tick that runs longer (a slow backend
 * call) is not disturbed: the alarm finds `ticking` set in this instance and just waits for it.
 */
const WATCHDOG_MS = 15_000;
const CALL_TIMEOUT_MS = 120_000;

export class ReasoningRun extends DurableObject<Env> implements RunObjectApi {
  private readonly store: RunStore;
  private executor: RunExecutor | null = null;
  private ticking: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();
  private dispatching: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RunStore(ctx.storage);
  }

  async create(input: CreateRunInput): Promise<CreateRunOutcome> {
    const existing = this.store.loadRun();
    if (existing) {
      if (existing.idem_hash !== null && existing.idem_hash === (input.idempotency_body_hash ?? null)) {
        return { kind: "existing", view: this.currentView() };
      }
      return { kind: "conflict" };
    }
    this.store.insertRun(
      {
        id: input.id,
        model: input.model,
        spec: input.spec,
        metadata: input.metadata ?? {},
        limits: input.limits,
        idem_hash: input.idempotency_body_hash ?? null,
        image: input.image,
        created_at: input.created_at,
        owner: input.owner ?? null,
        price: input.price ?? null,
        webhook: input.webhook ?? null,
        ...(input.origin ? { origin: input.origin } : {}),
      },
      [{ type: "run.created", data: { id: input.id, model: input.model, strategy: input.spec.search.strategy } }],
    );
    // A run given every stage (a cache hit) has nothing to call: it ends now, so the caller gets
    // its answer in this response. The alarm then records it and delivers its events.
    if (givenStages(input.spec).length === STAGES.length) await this.getExecutor().tick();
    await this.ctx.storage.setAlarm(Date.now());
    return { kind: "created", view: this.currentView() };
  }

  async recordFork(owner: string, child: string, from: Stage): Promise<boolean> {
    if (!this.ownedRun(owner)) return false;
    this.store.recordFork(child, from, Date.now());
    return true;
  }

  async lineage(owner?: string): Promise<RunLineage | null> {
    const run = this.ownedRun(owner);
    if (!run) return null;
    const steps = this.getExecutor().steps;
    const done = new Map([...steps].map(([id, s]) => [id, s.output]));
    const byStage = new Map<string, CommittedStep[]>();
    for (const [id, step] of steps) {
      const stage = id.slice(0, id.indexOf("/"));
      byStage.set(stage, [...(byStage.get(stage) ?? []), step]);
    }
    const usageByStage: RunLineage["usageByStage"] = {};
    for (const [stage, list] of byStage) {
      const usage = rollUpUsage(list);
      const cost = costUsd(usage, run.price);
      usageByStage[stage as StageKey] = cost === undefined ? usage : { ...usage, cost_usd: cost };
    }
    const image = this.store.loadImage();
    return {
      model: run.model,
      spec: run.spec,
      status: run.status,
      ...(image ? { image } : {}),
      accepted: run.result ? { ...run.result.stages } : acceptedStages(run.spec, done),
      usageByStage,
    };
  }

  async replay(body_hash: string, owner: string): Promise<CreateRunOutcome | null> {
    const existing = this.ownedRun(owner);
    if (!existing) return null;
    if (existing.idem_hash !== null && existing.idem_hash === body_hash)
      return { kind: "existing", view: this.currentView() };
    return { kind: "conflict" };
  }

  async retryWebhooks(owner?: string): Promise<{ retried: number; view: RunView } | null> {
    const run = this.ownedRun(owner);
    if (!run) return null;
    const retried = run.webhook ? this.store.outbox.retryFailed(Date.now()) : 0;
    // The alarm delivers them (and, for a run still going, carries on with its steps as usual).
    if (retried > 0) await this.ctx.storage.setAlarm(Date.now());
    return { retried, view: this.currentView() };
  }

  async view(owner?: string): Promise<RunView | null> {
    return this.ownedRun(owner) ? this.currentView() : null;
  }

  async wait(timeout_ms: number, owner?: string): Promise<RunView | null> {
    const run = this.ownedRun(owner);
    if (!run) return null;
    if (!isTerminal(run.status) && timeout_ms > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeout_ms);
        const unsubscribe = this.subscribe(() => {
          const status = this.store.loadRun()?.status;
          if (status && isTerminal(status)) done();
        });
        function done(): void {
          clearTimeout(timer);
          unsubscribe();
          resolve();
        }
      });
    }
    return this.currentView();
  }

  async cancel(owner?: string): Promise<RunView | null> {
    const run = this.ownedRun(owner);
    if (!run) return null;
    if (!isTerminal(run.status)) {
      this.getExecutor().finish("canceled", null, {
        type: "run_error",
        code: "canceled",
        message: "the run was canceled by request",
      });
      await this.scheduleNext(null);
    }
    return this.currentView();
  }

  async events(after: number, limit: number, owner?: string): Promise<RunEvent[]> {
    return this.ownedRun(owner) ? this.store.eventsAfter(after, limit) : [];
  }

  async image(owner?: string): Promise<ImageInput | null> {
    return this.ownedRun(owner) ? (this.store.loadImage() ?? null) : null;
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/events") return new Response("not found", { status: 404 });
    if (!this.ownedRun(request.headers.get(OWNER_HEADER) ?? undefined))
      return new Response("no such run", { status: 404 });
    const after = Number(request.headers.get("last-event-id") ?? url.searchParams.get("after") ?? "0");
    return streamEvents(
      {
        eventsAfter: (a, l) => this.store.eventsAfter(a, l),
        subscribe: (fn) => this.subscribe(fn),
        isFinished: () => {
          const status = this.store.loadRun()?.status;
          return status !== undefined && isTerminal(status);
        },
      },
      Number.isSafeInteger(after) && after >= 0 ? after : 0,
    );
  }

  override async alarm(): Promise<void> {
    // One tick at a time per instance; a second alarm while one runs just waits for it.
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    const { nextAt } = await this.getExecutor().tick();
    await this.scheduleNext(nextAt);
  }

  /** Deliver the outbox, then set the one alarm for the earliest due work (run steps or deliveries). */
  private async scheduleNext(runNextAt: number | null): Promise<void> {
    await this.dispatch();
    const outboxNextAt = this.store.loadRun() ? outboxDueAt(this.store.outbox) : null;
    const next = [runNextAt, outboxNextAt].filter((t): t is number => t !== null);
    if (next.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...next));
  }

  /** One dispatch at a time per instance; callers share the one in flight. */
  private dispatch(): Promise<void> {
    if (!this.dispatching) {
      const run = this.store.loadRun();
      if (!run) return Promise.resolve();
      this.dispatching = dispatchOutbox({
        outbox: this.store.outbox,
        storage: this.ctx.storage,
        db: this.env.DB,
        webhook: run.webhook,
        fetcher: (input, init) => fetch(input, init),
        now: Date.now,
        scheduleScale: scheduleScale(this.env),
        afterDelivery: afterDeliveryHooks.get(run.id),
      }).finally(() => {
        this.dispatching = null;
      });
    }
    return this.dispatching;
  }

  /** The run, if this object holds one and `owner` (when given) owns it: another key's run does not exist. */
  private ownedRun(owner: string | undefined): RunRow | null {
    const run = this.store.loadRun();
    if (!run) return null;
    if (owner !== undefined && run.owner !== owner) return null;
    return run;
  }

  /** The owner key's spend counter: its KeyLimiter object (calls reserve there before they are sent). */
  private spendCounter(owner: string): SpendCounter | undefined {
    const limiters = this.env.LIMITER;
    if (!limiters) return undefined;
    const limiter = () => limiters.get(limiters.idFromName(owner));
    return {
      reserve: (id, usd, budgetUsd) => limiter().reserve(owner, id, usd, budgetUsd),
      settle: (id, usd) => limiter().settle(owner, id, usd),
    };
  }

  private getExecutor(): RunExecutor {
    if (!this.executor) {
      const run = this.store.loadRun();
      this.executor = new RunExecutor(
        this.store,
        (model) => resolveBackend(this.env, model),
        {
          policy: retryPolicy(this.env),
          callTimeoutMs: CALL_TIMEOUT_MS,
          afterCommit: run ? afterCommitHooks.get(run.id) : undefined,
          spend: run?.owner ? this.spendCounter(run.owner) : undefined,
          resolveVerifier: () => resolveVerifier(this.env),
        },
        () => this.notify(),
      );
    }
    return this.executor;
  }

  private currentView(): RunView {
    const run = this.store.loadRun();
    if (!run) throw new Error("no run in this object");
    return toRunView(run, this.getExecutor().steps, this.store.outbox, this.store.forks());
  }

  private subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
    // Webhook events go out while the run goes on, not only when it ends.
    if (this.store.loadRun()?.webhook) this.ctx.waitUntil(this.dispatch());
  }
}

function retryPolicy(env: Env): RetryPolicy {
  const base = Number(env.RETRY_BASE_MS);
  return Number.isFinite(base) && base > 0 ? { ...DEFAULT_RETRY_POLICY, baseMs: base } : DEFAULT_RETRY_POLICY;
}
