/**
 * A fallback chain (`FALLBACKS = "workers-ai:…=>openai:llava-cot"`): a call goes to the first
 * backend; when it fails with a retryable error (capacity, 429, 5xx, timeout) the next one is
 * tried at once. The result names the backend that served it (`served_by`) and the attempts that
 * failed before (`attempts`); both end up in the step output and the run trace.
 *
 * A non-retryable error (bad input, auth) is thrown at once: another backend would not make a bad
 * request good, and a misconfiguration should be seen rather than hidden by a fallback. When every
 * backend fails, the error is retryable (the executor retries the whole chain with backoff), with
 * the last server's Retry-After.
 */
import type { BackendAttempt } from "../reasoning/types";
import {
  BackendError,
  type Backend,
  type BackendCapabilities,
  type GenerateOptions,
  type GenerateResult,
  type VerifyOptions,
  type VerifyResult,
} from "./backend";

/** What every backend of the chain can do (the engine plans for the weakest). */
export function commonCapabilities(backends: readonly Pick<Backend, "capabilities">[]): BackendCapabilities {
  const all = (k: "n" | "stop" | "logprobs" | "prefill" | "vision") => backends.every((b) => b.capabilities[k]);
  const caps: BackendCapabilities = {
    n: all("n"),
    stop: all("stop"),
    logprobs: all("logprobs"),
    prefill: all("prefill"),
    vision: all("vision"),
  };
  const limits = backends.map((b) => b.capabilities.max_n).filter((m): m is number => m !== undefined);
  if (limits.length > 0) caps.max_n = Math.min(...limits);
  if (backends.some((b) => b.capabilities.verify)) caps.verify = true;
  return caps;
}

function isRetryable(err: unknown, callerSignal: AbortSignal | undefined): boolean {
  if (callerSignal?.aborted) return false; // the caller gave up: nobody is waiting for a fallback
  if (err instanceof BackendError) return err.retryable;
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

export class FallbackBackend implements Backend {
  readonly id: string;
  readonly capabilities: BackendCapabilities;

  constructor(
    readonly backends: readonly Backend[],
    private readonly now: () => number = Date.now,
  ) {
    const first = backends[0];
    if (!first) throw new Error("a fallback chain needs at least one backend");
    this.id = first.id;
    this.capabilities = commonCapabilities(backends);
  }

  generate(options: GenerateOptions): Promise<GenerateResult> {
    return this.alongChain((b) => b.generate(options), options.signal);
  }

  /** The verifier along the chain too; members that cannot verify are skipped. */
  verify(options: VerifyOptions): Promise<VerifyResult> {
    const able = this.backends.filter((b) => b.verify);
    if (able.length === 0) throw new BackendError(`${this.id}: no backend of its chain can verify`, false, 400);
    return this.alongChain(
      (b) => (b.verify as (o: VerifyOptions) => Promise<VerifyResult>).call(b, options),
      options.signal,
      able,
    );
  }

  private async alongChain<T extends { served_by?: string; attempts?: BackendAttempt[] }>(
    call: (backend: Backend) => Promise<T>,
    signal: AbortSignal | undefined,
    backends: readonly Backend[] = this.backends,
  ): Promise<T> {
    const attempts: BackendAttempt[] = [];
    let last: unknown;
    for (const backend of backends) {
      const started = this.now();
      try {
        const result = await call(backend);
        const all = [...attempts, ...(result.attempts ?? [])];
        const served: T = { ...result, served_by: result.served_by ?? backend.id };
        if (all.length > 0) served.attempts = all;
        return served;
      } catch (err) {
        if (!isRetryable(err, signal)) throw err;
        last = err;
        const attempt: BackendAttempt = {
          backend: backend.id,
          error: err instanceof Error ? err.message : String(err),
          retryable: true,
          latency_ms: this.now() - started,
        };
        if (err instanceof BackendError && err.status !== undefined) attempt.status = err.status;
        attempts.push(attempt);
      }
    }
    const retryAfter = last instanceof BackendError ? last.retry_after_ms : undefined;
    const status = last instanceof BackendError ? last.status : undefined;
    const summary = attempts.map((a) => `${a.backend}: ${a.error}`).join("; ");
    throw new BackendError(`every backend of the fallback chain failed (${summary})`, true, status, retryAfter);
  }
}
