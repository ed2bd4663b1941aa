/**
 * The planner: a pure state machine over persisted step outputs. `plan` returns the runnable
 * frontier (every step not done whose dependencies are done) or the result. It is recomputed
 * after every commit, so it is deterministic and does no work beyond re-reading the state.
 *
 * Local steps (no backend) are computed by `runLocalStep`; their StepOutput has backend
 * `local`, latency 0, usage {} and one JSON text:
 *  - `${STAGE}/select`:      {"ranking":[ids…],"selected":[ids…],"scores"?:{id:number|null},"issues":[…]}
 *  - `${STAGE}/match/r/m`:   {"winner":1|2,"decided_by":"forfeit"|"selfcheck","rationale":"…"}
 * With search.judge_orders = 2 a judged match has a second step, `${STAGE}/match/r/m/swapped`
 * (the same pair, Response 1 and 2 exchanged); the match is decided when both replies are in.
 * Candidate ids are generate step ids (`CAPTION/gen/0.2`). Judge-decided match outputs keep the
 * judge's raw reply; the verdict is parsed when the state is read, so the parser can improve.
 */
import { buildJudgePrompt, buildSelfCheckPrompt } from "./judge";
import { renderStages } from "./parser";
import { judgeInputs } from "./scorers/judge";
import { selectFrom } from "./scorers/index";
import type { Candidate } from "./candidates";
import { stageViews, type StageView } from "./stage-view";
import { STAGES, type Stage } from "./stages";
import { evaluationStep, generateStep, localStep, selectId, verifyStep, type StageKey } from "./steps";
import type { Plan, RunResult, RunSpec, StepOutput, StepSpec } from "./types";

export function plan(spec: RunSpec, done: ReadonlyMap<string, StepOutput>): Plan {
  const last = stageViews(spec, done).at(-1);
  if (!last) return { status: "done", result: givenResult(spec) };
  if (last.selection) return { status: "done", result: resultOf(last) };
  return { status: "running", steps: frontier(spec, done, last) };
}

function frontier(spec: RunSpec, done: ReadonlyMap<string, StepOutput>, view: StageView): StepSpec[] {
  const { stage } = view;
  if (!view.generated) {
    return view.prefixes.flatMap((prefix) =>
      Array.from({ length: view.settings.candidates }, (_, i) => generateStep(spec, stage, prefix, i)).filter(
        (s) => !done.has(s.id),
      ),
    );
  }
  const select = localStep(selectId(stage), "select", stage);
  if (view.settings.scorer === "verifier") {
    const pending = view.verifications.filter((v) => v.score === undefined);
    if (pending.length === 0) return [select];
    return pending.map((v) => verifyStep(spec, stage, view.byId.get(v.candidate) as Candidate));
  }
  if (view.settings.scorer !== "judge") return [select];

  const steps: StepSpec[] = [];
  for (const check of view.checks) {
    if (check.verdict !== undefined) continue;
    const c = view.byId.get(check.candidate);
    if (!c) continue;
    steps.push(
      evaluationStep(
        spec,
        check.id,
        "check",
        stage,
        "check",
        buildSelfCheckPrompt(spec.question, c.accepted, c.text, spec.has_image),
      ),
    );
  }
  const bracket = view.bracket;
  if (!bracket) return steps;
  if (bracket.pending.length === 0) return [...steps, select];
  for (const pending of bracket.pending) {
    const match = view.matches.find((m) => m.round === pending.round && m.index === pending.index);
    if (!match || match.mode === "waiting") continue;
    if (match.mode === "local") {
      steps.push(localStep(match.id, "match", stage));
      continue;
    }
    const first = view.byId.get(match.first);
    const second = view.byId.get(match.second);
    if (!first || !second) continue;
    const input = judgeInputs(stage, first, second);
    if (!done.has(match.id)) {
      steps.push(
        evaluationStep(
          spec,
          match.id,
          "match",
          stage,
          "judge",
          buildJudgePrompt(stage, spec.question, input.context, input.first, input.second, spec.has_image),
        ),
      );
    }
    if (match.swapped !== undefined && !done.has(match.swapped)) {
      steps.push(
        evaluationStep(
          spec,
          match.swapped,
          "match",
          stage,
          "judge",
          buildJudgePrompt(stage, spec.question, input.context, input.second, input.first, spec.has_image),
        ),
      );
    }
  }
  return steps;
}

function resultOf(view: StageView): RunResult {
  const winner = view.byId.get(view.selection?.selected[0] ?? "");
  const found: Partial<Record<Stage, string>> =
    view.stage === "ANSWER"
      ? { ...(winner?.stages ?? {}) }
      : { ...(winner?.accepted ?? {}), [view.stage]: winner?.text ?? "" };
  const stages = Object.fromEntries(STAGES.map((s) => [s, found[s] ?? ""])) as Record<Stage, string>;
  return { answer: stages.CONCLUSION, stages, text: renderStages(stages) };
}

/** A run that takes every stage as given (a cached run) answers them as they are. */
function givenResult(spec: RunSpec): RunResult {
  const stages = Object.fromEntries(STAGES.map((s) => [s, spec.given?.[s] ?? ""])) as Record<Stage, string>;
  return { answer: stages.CONCLUSION, stages, text: renderStages(stages) };
}

/** The stage being worked on (for progress), or null when the run is done. */
export function currentStage(spec: RunSpec, done: ReadonlyMap<string, StepOutput>): StageKey | null {
  const last = stageViews(spec, done).at(-1);
  return !last || last.selection ? null : last.stage;
}

/** Computes a local step (select, forfeited or self-check-decided match). Throws for a step that needs a backend. */
export function runLocalStep(spec: RunSpec, done: ReadonlyMap<string, StepOutput>, step: StepSpec): StepOutput {
  const view = stageViews(spec, done).find((v) => v.stage === step.stage);
  if (!view) throw new Error(`runLocalStep: stage ${step.stage} is not reached yet (step ${step.id})`);
  let text: string;
  if (step.kind === "select") {
    text = JSON.stringify(selectFrom(view));
  } else {
    const decision = view.matches.find((m) => m.id === step.id)?.local;
    if (!decision) throw new Error(`runLocalStep: ${step.id} is not a local step`);
    text = JSON.stringify(decision);
  }
  return { texts: [text], finish_reasons: ["stop"], usage: {}, backend: "local", latency_ms: 0 };
}

export { eventsForStep, initialEvents } from "./events";
