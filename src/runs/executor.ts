/**
 * Runs a run's frontier against a backend and commits each step's result with its events.
 * The database is the truth: everything here is derived from the committed steps and the retry
 * rows, so a new instance after a crash or eviction carries on where the storage says.
 */
import { BackendError, type Backend, type ImageInput } from "../inference/backend";
import { coalesceGenerateSteps, coalesceVerifySteps, toStepOutputs, toVerifyOutputs } from "../reasoning/batching";
import { eventsForStep, initialEvents, plan, runLocalStep } from "../reasoning/planner";
import type { ModelRequest, Prompt, RunResult, StepOutput, StepSpec } from "../reasoning/types";
import { inputTokenBound } from "./allowance";
import type { RunError, RunStatus } from "./contract";
import { backoffMs, type RetryPolicy } from "./retry";
import type { CommittedStep, LedgerEntry, NewEvent, RetryRow, RunRow, RunStore } from "./run-store";
import { limitReached, Reservations, type Reserved, type SpendCounter } from "./reservations";
import { costUsd, knownCostUsd, rollUpUsage } from "./usage";

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
  private readonly reservations: Reservations;

  constructor(
    private readonly store: RunStore,
    private readonly resolveBackend: (model: string) => Backend,
    private readonly options: ExecutorOptions,
    private readonly onChange: () => void,
  ) {
    this.steps = store.loadSteps();
    this.retries = store.loadRetries();
    this.now = options.now ?? Date.now;
    this.reservations = new Reservations(options.spend);
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
      const budgetError = limitReached(run, this.steps.values());
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
    const { fatal: overLimit, reserved } = await this.reservations.reserveWave(run, this.steps.values(), plans);
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
          await this.reservations.settle(reservation, null, run);
          const current = this.store.loadRun();
          if (current && !isTerminal(current.status)) fatal ??= this.recordFailure(steps, err);
          return;
        } finally {
          for (const s of steps) this.inflight.delete(s.id);
        }
        await this.reservations.settle(reservation, outputs, run);
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
