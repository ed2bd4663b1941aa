/** The public JSON of a run (GET /v1/runs/:id), derived from its rows and committed steps. */
import type { Stage } from "../reasoning/stages";
import { buildTrace } from "../reasoning/trace";
import { currentStage } from "../reasoning/planner";
import type { RunView, WebhookConfig, WebhookView } from "./contract";
import type { OutboxStore } from "./outbox-store";
import type { CommittedStep, RunRow } from "./run-store";
import { costUsd, rollUpUsage } from "./usage";

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toRunView(
  run: RunRow,
  steps: Map<string, CommittedStep>,
  outbox: OutboxStore,
  forks: { run_id: string; from: string }[] = [],
): RunView {
  const done = new Map([...steps].map(([id, s]) => [id, s.output]));
  const usage = rollUpUsage(steps.values());
  const cost = costUsd(usage, run.price);
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
    usage: {
      ...usage,
      ...(cost === undefined ? {} : { cost_usd: cost }),
      ...(run.origin ? { reused: { run_id: run.origin.run_id, ...run.origin.reused } } : {}),
    },
    forked_from: run.origin?.kind === "fork" ? { run_id: run.origin.run_id, from: run.origin.from } : null,
    cached_from: run.origin?.kind === "cache" ? run.origin.run_id : null,
    forks: forks.map((f) => ({ run_id: f.run_id, from: f.from as Stage })),
    timings: {
      created_at: iso(run.created_at) ?? "",
      started_at: iso(run.started_at),
      finished_at: iso(run.finished_at),
      duration_ms: run.finished_at !== null && run.started_at !== null ? run.finished_at - run.started_at : null,
    },
    progress: {
      steps_done: steps.size,
      current_stage:
        run.status === "running" || run.status === "queued" ? (currentStage(run.spec, done) ?? null) : null,
    },
    error: run.error,
    metadata: run.metadata,
    webhook: run.webhook ? webhookView(run.webhook, outbox) : null,
  };
}

/** A webhook and its deliveries as the API shows them (never its secret); batches use it too. */
export function webhookView(webhook: WebhookConfig, outbox: OutboxStore): WebhookView {
  const attempts = outbox.attempts();
  return {
    url: webhook.url,
    events: webhook.events,
    deliveries: outbox
      .all()
      .filter((r) => r.kind === "webhook")
      .map((r) => ({
        webhook_id: r.id,
        event: r.event_type,
        state: r.state === "abandoned" ? ("failed" as const) : r.state,
        ...(r.state === "abandoned" && r.last_error ? { last_error: r.last_error } : {}),
        ...(r.state === "pending" && r.attempts > 0 ? { next_attempt_at: iso(r.next_at) ?? "" } : {}),
        attempts: attempts
          .filter((a) => a.outbox_id === r.id)
          .map((a) => ({ at: iso(a.at) ?? "", status: a.status, error: a.error, duration_ms: a.duration_ms })),
      })),
  };
}
