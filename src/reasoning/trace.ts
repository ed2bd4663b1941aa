/**
 * The search tree of a run — every candidate, self-check, match and selection so far — as plain
 * JSON, for the API, the playground's tree drawing and post-mortems. Built from the persisted
 * step outputs alone, so it works on partial state (a failed or running run).
 * Latency is left out on purpose: the tree records decisions, which do not depend on timing.
 * A step that a fallback chain moved to another backend names it, with the attempts that failed first.
 */
import { stageViews, type StageView } from "./stage-view";
import type { z } from "zod";
import type { candidateTraceSchema, matchTraceSchema, stageTraceSchema, traceSchema } from "./trace-schema";
import type { BackendAttempt, RunSpec, StepOutput } from "./types";

export type CandidateTrace = z.infer<typeof candidateTraceSchema>;
export type MatchTrace = z.infer<typeof matchTraceSchema>;
export type StageTrace = z.infer<typeof stageTraceSchema>;
export type Trace = z.infer<typeof traceSchema>;

/** For a step a fallback chain moved: the backend that served it and the attempts that failed first. */
interface ServedBy {
  backend?: string;
  fallback?: BackendAttempt[];
}

export function buildTrace(spec: RunSpec, done: ReadonlyMap<string, StepOutput>): Trace {
  const { strategy, scorer, candidates, keep } = spec.search;
  const stages = stageViews(spec, done).map((v) => stageTrace(v, done));
  const given = spec.given && Object.keys(spec.given).length > 0 ? { given: { ...spec.given } } : {};
  return { strategy, scorer, candidates, keep, ...given, stages };
}

/**
 * Only steps that a fallback chain moved to another backend are annotated: the others were served
 * by the run's model (and leaving them bare keeps traces of equal runs on different backends equal).
 */
function servedBy(output: StepOutput | undefined): ServedBy {
  return output?.fallback ? { backend: output.backend, fallback: output.fallback } : {};
}

function stageTrace(view: StageView, done: ReadonlyMap<string, StepOutput>): StageTrace {
  const trace: StageTrace = {
    stage: view.stage,
    scorer: view.settings.scorer,
    status: view.selection ? "completed" : view.generated ? "scoring" : "generating",
    prefixes: view.prefixes.map((p) => ({ index: p.index, parent: p.parent })),
    candidates: view.candidates.map((c) => {
      const t: CandidateTrace = {
        id: c.id,
        step: c.id,
        prefix: c.prefix,
        index: c.index,
        text: c.text,
        valid: c.valid,
        repairs: c.repairs,
        issues: c.issues,
        mean_logprob: c.mean_logprob,
        finish_reason: c.finish_reason,
        usage: c.usage,
        ...servedBy(done.get(c.id)),
      };
      if (c.stages) t.stages = c.stages;
      if (c.merged_into) t.merged_into = c.merged_into;
      return t;
    }),
    selfchecks: view.checks.map((k) => ({
      step: k.id,
      candidate: k.candidate,
      verdict: k.verdict ?? null,
      ...(k.raw !== undefined ? { raw: k.raw } : {}),
      ...servedBy(done.get(k.id)),
    })),
    verifications: view.verifications.map((v) => ({
      step: v.id,
      candidate: v.candidate,
      ...(v.score !== undefined ? { score: v.score } : {}),
      ...servedBy(done.get(v.id)),
    })),
    matches: view.matches.map((m) => {
      const t: MatchTrace = {
        step: m.id,
        round: m.round,
        index: m.index,
        pair: [m.first, m.second],
        status: m.winner === undefined ? "pending" : "decided",
      };
      if (m.winner !== undefined) t.winner = m.winner;
      if (m.decided_by !== undefined) t.decided_by = m.decided_by;
      if (m.rationale !== undefined) t.rationale = m.rationale;
      if (m.raw !== undefined) t.raw = m.raw;
      if (m.swapped !== undefined) t.swapped_step = m.swapped;
      if (m.raw_swapped !== undefined) t.raw_swapped = m.raw_swapped;
      Object.assign(t, servedBy(done.get(m.id)));
      return t;
    }),
    ranking: view.selection?.ranking ?? [],
    selected: view.selection?.selected ?? [],
    issues: view.selection?.issues ?? [],
  };
  if (view.bracket) trace.bracket = view.bracket.entrants;
  if (view.selection?.scores) trace.scores = view.selection.scores;
  return trace;
}
