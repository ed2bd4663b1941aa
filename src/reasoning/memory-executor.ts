/**
 * An in-memory executor: plan → execute → record until done. Used by tests and benchmarks; the
 * Durable Object does the same with storage, retries and alarms, and the same StepOutput mapping
 * (`toStepOutputs`), so what is proven here holds there.
 *
 * Schedules:
 *  - `concurrent`: the whole frontier at once (a round's matches together), generate steps
 *    coalesced into n>1 calls when the backend supports it;
 *  - `sequential`: the reference implementation's schedule — one step at a time, candidates one
 *    by one (n = 1), matches one by one. Same answer and same trace, only slower.
 */
import type { Backend, ImageInput } from "../inference/backend";
import { coalesceGenerateSteps, coalesceVerifySteps, toStepOutputs, toVerifyOutputs, type CallBatch } from "./batching";
import { eventsForStep, initialEvents, plan, runLocalStep } from "./planner";
import { buildTrace, type Trace } from "./trace";
import type { CallPurpose, EventDraft, RunResult, RunSpec, StepOutput, StepSpec } from "./types";

export { toStepOutputs } from "./batching";

export interface MemoryRunOptions {
  image?: ImageInput;
  schedule: "concurrent" | "sequential";
  /** Serves verify steps (the `verifier` scorer); defaults to `backend`. */
  verifier?: Backend;
  onStep?: (step: StepSpec, output: StepOutput, events: EventDraft[]) => void;
}

/** One backend call: which wave of the loop issued it, and which steps it served. */
export interface CallRecord {
  wave: number;
  purpose: CallPurpose;
  steps: string[];
  n: number;
}

export interface MemoryRunResult {
  result: RunResult;
  trace: Trace;
  done: Map<string, StepOutput>;
  calls: CallRecord[];
  events: EventDraft[];
}

// A run has at most a few hundred steps; this only turns a planner bug into an error, not a hang.
const MAX_WAVES = 10_000;

export async function runInMemory(
  spec: RunSpec,
  backend: Backend,
  options: MemoryRunOptions,
): Promise<MemoryRunResult> {
  const done = new Map<string, StepOutput>();
  const calls: CallRecord[] = [];
  const events: EventDraft[] = [...initialEvents(spec)];
  const record = (step: StepSpec, output: StepOutput): void => {
    const produced = eventsForStep(spec, done, step, output);
    done.set(step.id, output);
    events.push(...produced);
    options.onStep?.(step, output, produced);
  };

  for (let wave = 1; wave <= MAX_WAVES; wave++) {
    const planned = plan(spec, done);
    if (planned.status === "done")
      return { result: planned.result, trace: buildTrace(spec, done), done, calls, events };
    if (planned.steps.length === 0) throw new Error("planner returned no runnable step for an unfinished run");
    const due = options.schedule === "sequential" ? planned.steps.slice(0, 1) : planned.steps;

    const outputs = new Map<string, StepOutput>();
    for (const step of due) if (!step.request) outputs.set(step.id, runLocalStep(spec, done, step));
    const modelSteps = due.filter((s) => s.request);
    const batches: CallBatch[] =
      options.schedule === "concurrent"
        ? coalesceGenerateSteps(modelSteps, backend.capabilities)
        : modelSteps
            .filter((s) => s.request?.purpose !== "verify")
            .map((s) => ({ steps: [s], request: s.request as NonNullable<StepSpec["request"]> }));
    const verifyBatches =
      options.schedule === "concurrent"
        ? coalesceVerifySteps(modelSteps)
        : coalesceVerifySteps(modelSteps).flatMap((b) =>
            b.steps.map((step, i) => ({ steps: [step], requests: b.requests.slice(i, i + 1) })),
          );
    const verifier = options.verifier ?? backend;
    await Promise.all([
      ...batches.map(async (batch) => {
        calls.push({ wave, purpose: batch.request.purpose, steps: batch.steps.map((s) => s.id), n: batch.request.n });
        const started = Date.now();
        const image = batch.request.prompt.with_image ? options.image : undefined;
        const result = await backend.generate(image ? { ...batch.request, image } : { ...batch.request });
        toStepOutputs(batch.steps, result, backend.id, Date.now() - started).forEach((out, i) =>
          outputs.set(batch.steps[i]?.id ?? "", out),
        );
      }),
      ...verifyBatches.map(async (batch) => {
        if (!verifier.verify) throw new Error(`${verifier.id} cannot verify candidates`);
        calls.push({ wave, purpose: "verify", steps: batch.steps.map((s) => s.id), n: batch.steps.length });
        const started = Date.now();
        const image = batch.requests.some((r) => r.with_image) ? options.image : undefined;
        const result = await verifier.verify({ requests: batch.requests, ...(image ? { image } : {}) });
        toVerifyOutputs(batch.steps, result, verifier.id, Date.now() - started).forEach((out, i) =>
          outputs.set(batch.steps[i]?.id ?? "", out),
        );
      }),
    ]);
    // Commit in frontier order, not completion order, so events are deterministic.
    for (const step of due) {
      const output = outputs.get(step.id);
      if (output) record(step, output);
    }
  }
  throw new Error(`run did not finish within ${MAX_WAVES} planning rounds`);
}
