/**
 * The events a committed step produces (persisted with it in one transaction, streamed over SSE).
 * Derived from the state before and after the step, so they say exactly what the step changed.
 */
import { nextPrefixes, stageViews, type StageView } from "./stage-view";
import { nextStage } from "./stages";
import { stageSettings } from "./steps";
import type { EventDraft, RunSpec, StepOutput, StepSpec } from "./types";

/** The first `stage.started` of a run. */
export function initialEvents(spec: RunSpec): EventDraft[] {
  const first = stageViews(spec, new Map())[0];
  return first ? [stageStarted(spec, first.stage, 1)] : [];
}

function stageStarted(spec: RunSpec, stage: StageView["stage"], prefixes: number): EventDraft {
  const settings = stageSettings(spec, stage);
  return { type: "stage.started", data: { stage, prefixes, candidates: settings.candidates, scorer: settings.scorer } };
}

export function eventsForStep(
  spec: RunSpec,
  doneBefore: ReadonlyMap<string, StepOutput>,
  step: StepSpec,
  output: StepOutput,
): EventDraft[] {
  const after = new Map(doneBefore).set(step.id, output);
  const view = stageViews(spec, after).find((v) => v.stage === step.stage);
  if (!view) return [];
  switch (step.kind) {
    case "generate": {
      const c = view.byId.get(step.id);
      if (!c) return [];
      const data: Record<string, unknown> = {
        stage: c.stage,
        step: c.id,
        prefix: c.prefix,
        index: c.index,
        text: c.text,
        valid: c.valid,
        repairs: c.repairs,
      };
      if (c.issues.length > 0) data.issues = c.issues;
      if (c.stages) data.stages = c.stages;
      return [{ type: "candidate.generated", data }];
    }
    case "verify": {
      const v = view.verifications.find((x) => x.id === step.id);
      if (!v || v.score === undefined) return [];
      return [
        {
          type: "candidate.scored",
          data: { stage: view.stage, step: step.id, candidate: v.candidate, score: v.score },
        },
      ];
    }
    case "check": {
      const check = view.checks.find((k) => k.id === step.id);
      return check
        ? [
            {
              type: "selfcheck.decided",
              data: {
                stage: view.stage,
                step: step.id,
                candidate: check.candidate,
                verdict: check.verdict ?? "unknown",
              },
            },
          ]
        : [];
    }
    case "match": {
      const m = view.matches.find((x) => x.id === step.id || x.swapped === step.id);
      if (!m || m.winner === undefined) return [];
      const data = {
        stage: view.stage,
        step: m.id,
        round: m.round,
        match: m.index,
        first: m.first,
        second: m.second,
        winner: m.winner,
        decided_by: m.decided_by,
        rationale: m.rationale ?? "",
      };
      return [{ type: "judge.decided", data }];
    }
    case "select": {
      const selected = view.selection?.selected ?? [];
      const text = view.byId.get(selected[0] ?? "")?.text ?? "";
      const events: EventDraft[] = [{ type: "stage.completed", data: { stage: view.stage, selected, text } }];
      const next = view.stage === "ANSWER" ? undefined : nextStage(view.stage);
      const prefixes = nextPrefixes(view).length;
      if (next && prefixes > 0) events.push(stageStarted(spec, next, prefixes));
      return events;
    }
  }
}
