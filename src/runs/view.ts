/** The public JSON of a run (GET /v1/runs/:id), derived from its rows and committed steps. */
import { buildTrace } from "../reasoning/trace";
import { currentStage } from "../reasoning/planner";
import type { RunView } from "./contract";
import type { CommittedStep, RunRow } from "./run-store";
import { rollUpUsage } from "./usage";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toRunView(run: RunRow, steps: Map<string, CommittedStep>): RunView {
  const done = new Map([...steps].map(([id, s]) => [id, s.output]));
  return {
    id: run.id,
    object: "run",
    model: run.model,
    status: run.status,
    question: run.spec.question,
    search: run.spec.search,
    sampling: run.spec.sampling,
    answer: run.result?.answer ?? null,
    stages: run.result?.stages ?? {},
    text: run.result?.text ?? null,
    trace: buildTrace(run.spec, done),
    usage: rollUpUsage(steps.values()),
    timings: {
      created_at: iso(run.created_at) ?? "",
      started_at: iso(run.started_at),
      finished_at: iso(run.finished_at),
      duration_ms: run.finished_at !== null && run.started_at !== null ? run.finished_at - run.started_at : null,
    },
    progress: {
      steps_done: steps.size,
      current_stage: run.status === "running" || run.status === "queued" ? currentStage(run.spec, done) ?? null : null,
    },
    error: run.error,
    metadata: run.metadata,
  };
}
