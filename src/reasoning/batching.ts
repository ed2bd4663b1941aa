/**
 * Batching of model steps into backend calls, and the inverse: one GenerateResult back into
 * per-step StepOutputs. Generate steps with the same prompt and parameters differ only in their
 * seeds, so a backend that returns several continuations per call (capabilities.n) serves them
 * in one call with n = k and the concatenated seeds. Each step keeps its own seed, so results do
 * not depend on how steps were grouped (for backends that honour per-continuation seeds).
 */
import type { BackendCapabilities, GenerateResult, VerifyResult } from "../inference/backend";
import type { ModelRequest, StepOutput, StepSpec, Usage, VerifyRequest } from "./types";

export interface CallBatch {
  /** The steps served by this call, in the order of their seeds. */
  steps: StepSpec[];
  request: ModelRequest;
}

const groupKey = (r: ModelRequest): string => JSON.stringify({ ...r, n: 0, seeds: [] });

/**
 * Groups model steps into calls. Only `generate` steps coalesce (judge and check prompts are all
 * different); local steps (no request) are left out — the caller runs them with runLocalStep.
 * Respects capabilities.n (no grouping without it) and capabilities.max_n (chunks).
 */
export function coalesceGenerateSteps(steps: readonly StepSpec[], capabilities: BackendCapabilities): CallBatch[] {
  const limit = capabilities.n ? Math.max(1, capabilities.max_n ?? Number.POSITIVE_INFINITY) : 1;
  const batches: CallBatch[] = [];
  const open = new Map<string, CallBatch>();
  for (const step of steps) {
    const request = step.request;
    if (!request || request.purpose === "verify") continue;
    const key = request.purpose === "generate" ? groupKey(request) : undefined;
    const batch = key === undefined ? undefined : open.get(key);
    if (batch && batch.request.n + request.n <= limit) {
      batch.steps.push(step);
      batch.request = {
        ...batch.request,
        n: batch.request.n + request.n,
        seeds: [...batch.request.seeds, ...request.seeds],
      };
      continue;
    }
    const fresh: CallBatch = { steps: [step], request: { ...request, seeds: [...request.seeds] } };
    batches.push(fresh);
    if (key !== undefined) open.set(key, fresh);
  }
  return batches;
}

/**
 * Splits a usage total over k steps: integer shares, the remainder going to the first steps, so
 * the totals stay exact. An even split is a convention, not an estimate, so a step's usage is
 * marked estimated only when the backend's figures were.
 */
function splitUsage(usage: Usage, k: number): Usage[] {
  const share = (total: number | undefined, i: number): number | undefined =>
    total === undefined ? undefined : Math.floor(total / k) + (i < total % k ? 1 : 0);
  return Array.from({ length: k }, (_, i) => {
    const part: Usage = {};
    const input = share(usage.input_tokens, i);
    const output = share(usage.output_tokens, i);
    if (input !== undefined) part.input_tokens = input;
    if (output !== undefined) part.output_tokens = output;
    if (usage.estimated) part.estimated = true;
    return part;
  });
}

/**
 * Maps one backend result onto the steps it served (each step takes request.n generations, in
 * order). Every step gets the whole call's latency: that is how long it waited. A fallback chain's
 * result names the backend that served it (`served_by`) and the attempts that failed before, which
 * every step of the call records. Throws when the
 * backend returned fewer generations than asked — a contract violation the executor retries.
 */
export function toStepOutputs(
  steps: readonly StepSpec[],
  result: GenerateResult,
  backendId: string,
  latencyMs: number,
): StepOutput[] {
  const wanted = steps.reduce((sum, s) => sum + (s.request?.n ?? 1), 0);
  if (result.generations.length < wanted) {
    throw new Error(`backend ${backendId} returned ${result.generations.length} generations for ${wanted} requested`);
  }
  const usages = splitUsage(result.usage, steps.length);
  let next = 0;
  return steps.map((step, i) => {
    const gens = result.generations.slice(next, next + (step.request?.n ?? 1));
    next += gens.length;
    const output: StepOutput = {
      texts: gens.map((g) => g.text),
      finish_reasons: gens.map((g) => g.finish_reason),
      usage: usages[i] ?? {},
      backend: result.served_by ?? backendId,
      latency_ms: latencyMs,
    };
    if (gens.some((g) => g.mean_logprob !== undefined)) output.mean_logprobs = gens.map((g) => g.mean_logprob ?? null);
    if (result.warnings.length > 0) output.warnings = [...result.warnings];
    if (result.attempts && result.attempts.length > 0) output.fallback = result.attempts.map((a) => ({ ...a }));
    return output;
  });
}

/** Verify steps served by one `verify` call: candidates continuing the same stages share a call. */
export interface VerifyBatch {
  steps: StepSpec[];
  requests: VerifyRequest[];
}

/** At most this many candidates in one verify call (stage_beam's largest N). */
export const MAX_VERIFY_BATCH = 16;

/** Groups verify steps into calls: one per stage and accepted prefix, in chunks of MAX_VERIFY_BATCH. */
export function coalesceVerifySteps(steps: readonly StepSpec[]): VerifyBatch[] {
  const batches: VerifyBatch[] = [];
  const open = new Map<string, VerifyBatch>();
  for (const step of steps) {
    const request = step.request?.verify;
    if (step.request?.purpose !== "verify" || !request) continue;
    const key = JSON.stringify([request.stage, request.question, request.context, request.with_image]);
    const batch = open.get(key);
    if (batch && batch.steps.length < MAX_VERIFY_BATCH) {
      batch.steps.push(step);
      batch.requests.push(request);
      continue;
    }
    const fresh: VerifyBatch = { steps: [step], requests: [request] };
    batches.push(fresh);
    open.set(key, fresh);
  }
  return batches;
}

/** Maps one verify result onto the steps it served; throws when the backend returned too few scores. */
export function toVerifyOutputs(
  steps: readonly StepSpec[],
  result: VerifyResult,
  backendId: string,
  latencyMs: number,
): StepOutput[] {
  if (result.scores.length < steps.length)
    throw new Error(`backend ${backendId} returned ${result.scores.length} scores for ${steps.length} candidates`);
  const usages = splitUsage(result.usage, steps.length);
  return steps.map((_, i) => {
    const output: StepOutput = {
      texts: [""],
      finish_reasons: ["stop"],
      scores: [result.scores[i] ?? null],
      usage: usages[i] ?? {},
      backend: result.served_by ?? backendId,
      latency_ms: latencyMs,
    };
    if (result.warnings.length > 0) output.warnings = [...result.warnings];
    if (result.attempts && result.attempts.length > 0) output.fallback = result.attempts.map((a) => ({ ...a }));
    return output;
  });
}
