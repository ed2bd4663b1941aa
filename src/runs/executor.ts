/**
 * Runs a run's frontier against a backend and commits each step's result with its events.
 * The database is the truth: everything here is derived from the committed steps and the retry
 * rows, so a new instance after a crash or eviction carries on where the storage says.
 */
import { BackendError, type Backend, type ImageInput } from "../inference/backend";
import { coalesceGenerateSteps, coalesceVerifySteps, toStepOutputs, toVerifyOutputs } from "../reasoning/batching";
import { eventsForStep, initialEvents, plan, runLocalStep } from "../reasoning/planner";
import type { ModelRequest, Prompt, RunResult, StepOutput, StepSpec } from "../reasoning/types";
import { formatUsd } from "../shared/money";
import { costOf, fitCall, inputTokenBound, type Fit } from "./allowance";
import type { RunError, RunStatus } from "./contract";
import { backoffMs, type RetryPolicy } from "./retry";
import type { CommittedStep, LedgerEntry, NewEvent, RetryRow, RunRow, RunStore } from "./run-store";
import { costUsd, knownCostUsd, knownTokens, rollUpUsage } from "./usage";

export interface ExecutorOptions {
  policy: RetryPolicy;
  /** Longest a single backend call may take before it is aborted (and retried). */
  callTimeoutMs: number;
  now?: () => number;
  /** Test hook: called after every commit (a thrown error simulates a crash at that point). */
  afterCommit?: (stepId: string) => void;
  /** The verifier scorer's backend (VERIFIER_MODEL); undefined: the run's own model verifies. */
  resolveVerifier?: (runModel: string) => Backend | undefined;
  /** The owner key's spend counter (its KeyLimiter), for runs with `limits.key_budget_usd`. */
  spend?: SpendCounter;
}

export interface SpendCounter {
  reserve(id: string, usd: number, budgetUsd: number): Promise<{ ok: boolean; available_usd: number }>;
  settle(id: string, usd: number): Promise<void>;
}

/** One call's reservation: its id in the key's counter, its worst-case cost, the max_tokens it fits with. */
interface Reserved {
  id: string;
  usd: number;
  key: boolean;
  max_tokens: number;
}

function limitError(
  run: RunRow,
  step: string,
  fit: Extract<Fit, { ok: false }>,
  committedTokens: number,
  committedUsd: number,
): RunError {
  if (fit.limit === "tokens") {
    return {
      type: "run_error",
      code: "token_limit_exceeded",
      message: `the next call (${step}) could need ${fit.needed_tokens} tokens, more than the ${(run.limits.max_total_tokens ?? 0) - committedTokens} left of max_total_tokens=${run.limits.max_total_tokens} (used: ${committedTokens}); it was not sent, and the trace so far is kept`,
    };
  }
  return {
    type: "run_error",
    code: "budget_exceeded",
    message: `the next call (${step}) could cost ${formatUsd(fit.needed_usd)}, more than the budget has left (this run has spent ${formatUsd(committedUsd)}); it was not sent, and the trace so far is kept`,
  };
}

export type Terminal = Exclude<RunStatus, "queued" | "running">;

export interface TickOutcome {
  /** When the next alarm should fire (epoch ms), or null when the run is over. */
  nextAt: number | null;
}

const terminalEvent = (status: Terminal): string => `run.${status}`;

export class RunExecutor {
  /** Committed steps, loaded once per instance; the storage remains the truth. */
  readonly steps: Map<string, CommittedStep>;
  private readonly retries: Map<string, RetryRow>;
  private readonly inflight = new Map<string, AbortController>();
  private readonly now: () => number;
  private image: ImageInput | undefined | null = null;

  constructor(
    private readonly store: RunStore,
    private readonly resolveBackend: (model: string) => Backend,
    private readonly options: ExecutorOptions,
    private readonly onChange: () => void,
  ) {
    this.steps = store.loadSteps();
    this.retries = store.loadRetries();
    this.now = options.now ?? Date.now;
  }

  done(): Map<string, StepOutput> {
    return new Map([...this.steps].map(([id, s]) => [id, s.output]));
  }

  /** Run everything that is due, wave after wave, and say when to come back. */
  async tick(): Promise<TickOutcome> {
    let run = this.store.loadRun();
    if (!run || isTerminal(run.status)) return { nextAt: null };
    if (run.status === "queued") {
      this.store.markStarted(this.now(), [
        { type: "run.started", data: { id: run.id, model: run.model } },
        ...initialEvents(run.spec),
      ]);
      this.onChange();
    }
    let backend: Backend;
    try {
      backend = this.resolveBackend(run.model);
    } catch (err) {
      this.finish("failed", null, { type: "server_error", code: "model_unavailable", message: errorText(err) });
      return { nextAt: null };
    }
    for (;;) {
      run = this.store.loadRun();
      if (!run || isTerminal(run.status)) return { nextAt: null };
      const now = this.now();
      if (now >= run.limits.deadline_at) {
        this.finish("failed", null, {
          type: "run_error",
          code: "deadline_exceeded",
          message: `the run passed its deadline (${new Date(run.limits.deadline_at).toISOString()}) after ${this.steps.size} steps`,
        });
        return { nextAt: null };
      }
      const budgetError = this.budgetError(run);
      if (budgetError) {
        this.finish("failed", null, budgetError);
        return { nextAt: null };
      }
      const p = plan(run.spec, this.done());
      if (p.status === "done") {
        this.finish("succeeded", p.result, null);
        return { nextAt: null };
      }
      const due = p.steps.filter((s) => !this.inflight.has(s.id) && (this.retries.get(s.id)?.next_at ?? 0) <= now);
      if (due.length === 0) {
        const waits = p.steps.map((s) => this.retries.get(s.id)?.next_at ?? now);
        return { nextAt: Math.min(run.limits.deadline_at, ...waits) };
      }
      const local = due.filter((s) => !s.request);
      if (local.length > 0) {
        // Local steps (selections, forfeits) need no backend: commit them and plan again.
        for (const step of local) this.commit(run, step, runLocalStep(run.spec, this.done(), step));
        continue;
      }
      const fatal = await this.runModelSteps(run, backend, due);
      if (fatal) {
        this.finish("failed", null, fatal);
        return { nextAt: null };
      }
    }
  }

  /** Abort calls in flight (cancel, deadline). */
  abortAll(reason: string): void {
    for (const c of this.inflight.values()) c.abort(new Error(reason));
  }

  finish(status: Terminal, result: RunResult | null, error: RunError | null): void {
    const run = this.store.loadRun();
    if (!run || isTerminal(run.status)) return;
    this.abortAll(`run ${status}`);
    const data: Record<string, unknown> = { id: run.id, status };
    if (result) data.answer = result.answer;
    if (error) data.error = error;
    const now = this.now();
    this.store.finish(
      status,
      now,
      result,
      error,
      { type: terminalEvent(status), data },
      this.ledgerEntry(run, status, now),
    );
    this.onChange();
  }

  /** The run's line in the usage ledger; none for a run that no key owns. */
  private ledgerEntry(run: RunRow, status: Terminal, now: number): LedgerEntry | null {
    if (!run.owner) return null;
    const usage = rollUpUsage(this.steps.values());
    return {
      run_id: run.id,
      key_id: run.owner,
      model: run.model,
      day: new Date(now).toISOString().slice(0, 10),
      status,
      input_tokens: usage.input_tokens ?? null,
      output_tokens: usage.output_tokens ?? null,
      judge_input_tokens: usage.judge_input_tokens ?? null,
      judge_output_tokens: usage.judge_output_tokens ?? null,
      backend_ms: usage.backend_ms,
      cost_usd: costUsd(usage, run.price) ?? (run.price ? knownCostUsd(this.steps.values(), run.price) : 0),
      estimated: usage.estimated,
    };
  }

  private budgetError(run: RunRow): RunError | null {
    const maxTokens = run.limits.max_total_tokens;
    if (maxTokens !== undefined) {
      const spent = knownTokens(this.steps.values());
      if (spent >= maxTokens) {
        return {
          type: "run_error",
          code: "token_limit_exceeded",
          message: `the run used ${spent} tokens, reaching its limit of max_total_tokens=${maxTokens}; the trace so far is kept`,
        };
      }
    }
    const maxCost = run.limits.max_cost_usd;
    if (maxCost !== undefined && run.price) {
      const spent = knownCostUsd(this.steps.values(), run.price);
      if (spent >= maxCost) {
        return {
          type: "run_error",
          code: "budget_exceeded",
          message: `the run cost $${spent.toFixed(6)}, reaching the key's remaining budget of $${maxCost.toFixed(6)}; the trace so far is kept`,
        };
      }
    }
    return null;
  }

  /**
   * Reserve every call of the wave before any is sent (allowance.ts): against the run's token
   * limit and own cost cap here, and against the key's budget in its KeyLimiter. A call that does
   * not fit even a few tokens ends the run with `budget_exceeded` (or `token_limit_exceeded`).
   */
  private async reserveWave(
    run: RunRow,
    plans: { steps: StepSpec[]; request: ModelRequest; inputTokens: number }[],
  ): Promise<{ fatal: RunError | null; reserved: Reserved[] }> {
    const committedTokens = knownTokens(this.steps.values());
    const committedUsd = run.price ? knownCostUsd(this.steps.values(), run.price) : 0;
    let tokens = run.limits.max_total_tokens !== undefined ? run.limits.max_total_tokens - committedTokens : undefined;
    let usd = run.limits.max_cost_usd !== undefined && run.price ? run.limits.max_cost_usd - committedUsd : undefined;
    const reserved: Reserved[] = [];
    const spend = this.options.spend;
    for (const p of plans) {
      let fit = fitCall(p.request, p.inputTokens, { tokens, usd }, run.price);
      const id = `${run.id}:${p.steps.map((s) => s.id).join(",")}`;
      if (fit.ok && spend && run.price && run.limits.key_budget_usd !== undefined) {
        let r = await spend.reserve(id, fit.usd, run.limits.key_budget_usd);
        if (!r.ok) {
          fit = fitCall(
            p.request,
            p.inputTokens,
            { tokens, usd: Math.min(usd ?? Infinity, r.available_usd) },
            run.price,
          );
          if (fit.ok) r = await spend.reserve(id, fit.usd, run.limits.key_budget_usd);
          if (fit.ok && !r.ok) fit = { ok: false, limit: "usd", needed_tokens: fit.tokens, needed_usd: fit.usd };
        }
        if (fit.ok) reserved.push({ id, usd: fit.usd, key: true, max_tokens: fit.max_tokens });
      } else if (fit.ok) reserved.push({ id, usd: fit.usd, key: false, max_tokens: fit.max_tokens });
      if (!fit.ok) {
        await this.release(reserved);
        return { fatal: limitError(run, p.steps[0]?.id ?? "", fit, committedTokens, committedUsd), reserved: [] };
      }
      if (tokens !== undefined) tokens -= fit.tokens;
      if (usd !== undefined) usd -= fit.usd;
    }
    return { fatal: null, reserved };
  }

  private async release(reserved: Reserved[]): Promise<void> {
    const spend = this.options.spend;
    if (!spend) return;
    await Promise.all(reserved.filter((r) => r.key).map((r) => spend.settle(r.id, 0)));
  }

  /** A prompt's input tokens as the backend will count them, or an upper bound when it cannot say. */
  private async inputTokens(backend: Backend, prompt: Prompt): Promise<number> {
    if (backend.countInputTokens) {
      try {
        return await backend.countInputTokens(prompt);
      } catch {
        // fall through to the bound
      }
    }
    return inputTokenBound(prompt, backend.capabilities.image_tokens);
  }

  private async runModelSteps(run: RunRow, backend: Backend, due: StepSpec[]): Promise<RunError | null> {
    if (this.image === null) this.image = this.store.loadImage();
    const image = this.image ?? undefined;
    const generateBatches = coalesceGenerateSteps(due, backend.capabilities);
    const verifyBatches = coalesceVerifySteps(due);
    const verifier = verifyBatches.length > 0 ? (this.options.resolveVerifier?.(run.model) ?? backend) : backend;
    const plans = [
      ...(await Promise.all(
        generateBatches.map(async (b) => ({
          steps: b.steps,
          request: b.request,
          inputTokens: await this.inputTokens(backend, b.request.prompt),
        })),
      )),
      ...(await Promise.all(
        verifyBatches.map(async (b) => ({
          steps: b.steps,
          request: { ...(b.steps[0]?.request as ModelRequest), n: b.requests.length, max_tokens: 1 },
          inputTokens: (
            await Promise.all(
              b.requests.map((r, i) => {
                const prompt = b.steps[i]?.request?.prompt as Prompt;
                return this.inputTokens(verifier, { ...prompt, user: `${prompt.user}${r.candidate}` });
              }),
            )
          ).reduce((a, x) => a + x, 0),
        })),
      )),
    ];
    const { fatal: overLimit, reserved } = await this.reserveWave(run, plans);
    if (overLimit) return overLimit;
    // Each call: the steps it serves and how to make it, given a signal; outputs in step order.
    const calls: {
      steps: StepSpec[];
      reservation: Reserved | undefined;
      call: (signal: AbortSignal, started: number) => Promise<StepOutput[]>;
    }[] = [
      ...generateBatches.map((batch, i) => {
        const reservation = reserved[i];
        const max_tokens = reservation?.max_tokens ?? batch.request.max_tokens;
        return {
          steps: batch.steps,
          reservation,
          call: async (signal: AbortSignal, started: number) =>
            toStepOutputs(
              batch.steps,
              await settleByAbort(
                backend.generate({
                  ...batch.request,
                  max_tokens,
                  image: batch.request.prompt.with_image ? image : undefined,
                  signal,
                }),
                signal,
              ),
              backend.id,
              this.now() - started,
            ),
        };
      }),
      ...verifyBatches.map((batch, i) => ({
        steps: batch.steps,
        reservation: reserved[generateBatches.length + i],
        call: async (signal: AbortSignal, started: number) => {
          if (!verifier.verify)
            throw new BackendError(
              `${verifier.id} cannot verify candidates (the verifier scorer needs VERIFIER_MODEL or a model that can)`,
              false,
            );
          const withImage = batch.requests.some((r) => r.with_image);
          const result = await settleByAbort(
            verifier.verify({ requests: batch.requests, image: withImage ? image : undefined, signal }),
            signal,
          );
          return toVerifyOutputs(batch.steps, result, verifier.id, this.now() - started);
        },
      })),
    ];
    let fatal: RunError | null = null;
    await Promise.all(
      calls.map(async ({ steps, call, reservation }) => {
        const controller = new AbortController();
        for (const s of steps) this.inflight.set(s.id, controller);
        const started = this.now();
        const timeout = Math.max(1, Math.min(this.options.callTimeoutMs, run.limits.deadline_at - started));
        let outputs: StepOutput[];
        try {
          outputs = await call(AbortSignal.any([controller.signal, AbortSignal.timeout(timeout)]), started);
        } catch (err) {
          await this.settle(reservation, null, run);
          const current = this.store.loadRun();
          if (current && !isTerminal(current.status)) fatal ??= this.recordFailure(steps, err);
          return;
        } finally {
          for (const s of steps) this.inflight.delete(s.id);
        }
        await this.settle(reservation, outputs, run);
        const current = this.store.loadRun();
        if (!current || isTerminal(current.status)) return; // canceled or ended while in flight
        steps.forEach((step, i) => {
          const out = outputs[i];
          if (out) this.commit(current, step, out);
        });
      }),
    );
    return fatal;
  }

  /** A call's actual cost replaces its key reservation: 0 for a failed call, the reservation when usage is unknown. */
  private async settle(reservation: Reserved | undefined, outputs: StepOutput[] | null, run: RunRow): Promise<void> {
    const spend = this.options.spend;
    if (!spend || !reservation?.key) return;
    let usd = 0;
    if (outputs && run.price) {
      const known = outputs.every((o) => o.usage.input_tokens !== undefined && o.usage.output_tokens !== undefined);
      usd = known
        ? costOf(
            outputs.reduce((a, o) => a + (o.usage.input_tokens ?? 0), 0),
            outputs.reduce((a, o) => a + (o.usage.output_tokens ?? 0), 0),
            run.price,
          )
        : reservation.usd;
    }
    try {
      await spend.settle(reservation.id, usd);
    } catch {
      // The reservation lapses on its own (RESERVATION_TTL_MS); the ledger still records the run's cost.
    }
  }

  private commit(run: RunRow, step: StepSpec, output: StepOutput): void {
    const events: NewEvent[] = eventsForStep(run.spec, this.done(), step, output);
    const attempts = (this.retries.get(step.id)?.attempts ?? 0) + 1;
    this.store.commitStep(step, output, attempts, events, this.now());
    this.steps.set(step.id, { kind: step.kind, output });
    this.retries.delete(step.id);
    this.onChange();
    this.options.afterCommit?.(step.id);
  }

  /** Schedule a retry with backoff, or say why the run must fail. */
  private recordFailure(steps: StepSpec[], err: unknown): RunError | null {
    const retryable = err instanceof BackendError ? err.retryable : isTimeout(err);
    const retryAfter = err instanceof BackendError ? (err.retry_after_ms ?? 0) : 0;
    const message = errorText(err);
    let fatal: RunError | null = null;
    for (const step of steps) {
      const attempts = (this.retries.get(step.id)?.attempts ?? 0) + 1;
      if (!retryable || attempts >= this.options.policy.maxAttempts) {
        fatal = {
          type: "backend_error",
          code: retryable ? "retries_exhausted" : "backend_rejected",
          message: retryable
            ? `step ${step.id} failed ${attempts} times (retry limit ${this.options.policy.maxAttempts} attempts); last error: ${message}`
            : `step ${step.id} failed with a non-retryable backend error: ${message}`,
        };
        continue;
      }
      const nextAt = this.now() + backoffMs(this.options.policy, attempts, retryAfter);
      this.store.recordFailure(step.id, attempts, nextAt, message);
      this.retries.set(step.id, { id: step.id, attempts, next_at: nextAt, last_error: message });
    }
    return fatal;
  }
}

export function isTerminal(status: RunStatus): status is Terminal {
  return status === "succeeded" || status === "failed" || status === "canceled";
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The call's promise, or its signal's reason once the signal aborts — whichever comes first. A
 * backend that ignores the signal (or a promise that can never settle) must not hold the tick,
 * and with it the run, forever: the watchdog only resumes a tick that died with its process.
 */
function settleByAbort<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
