import { describe, expect, it } from "vitest";
import { runInMemory } from "./memory-executor";
import { eventsForStep, initialEvents, plan } from "./planner";
import { makeSpec, scriptedModel } from "./testing";
import { buildTrace } from "./trace";
import type { StepOutput } from "./types";

describe("events", () => {
  it("reports the run's progress stage by stage", async () => {
    const spec = makeSpec({ candidates: 2 });
    const run = await runInMemory(spec, scriptedModel(), { schedule: "concurrent" });
    expect(initialEvents(spec)).toEqual([
      { type: "stage.started", data: { stage: "SUMMARY", prefixes: 1, candidates: 2, scorer: "judge" } },
    ]);
    const types = run.events.map((e) => `${e.type}:${String(e.data.stage)}`);
    expect(types.filter((t) => t.startsWith("stage."))).toEqual([
      "stage.started:SUMMARY",
      "stage.completed:SUMMARY",
      "stage.started:CAPTION",
      "stage.completed:CAPTION",
      "stage.started:REASONING",
      "stage.completed:REASONING",
      "stage.started:CONCLUSION",
      "stage.completed:CONCLUSION",
    ]);
    expect(types.filter((t) => t.startsWith("candidate.generated"))).toHaveLength(8);
    expect(types.filter((t) => t === "selfcheck.decided:REASONING")).toHaveLength(2);
    const judged = run.events.find((e) => e.type === "judge.decided");
    expect(Object.keys(judged?.data ?? {}).sort()).toEqual([
      "decided_by",
      "first",
      "match",
      "rationale",
      "round",
      "second",
      "stage",
      "step",
      "winner",
    ]);
    const completed = run.events.filter((e) => e.type === "stage.completed").at(-1);
    expect(completed?.data).toMatchObject({ stage: "CONCLUSION", text: run.result.answer });
    const generated = run.events.find((e) => e.type === "candidate.generated");
    expect(generated?.data).toMatchObject({
      stage: "SUMMARY",
      step: "SUMMARY/gen/0.0",
      prefix: 0,
      index: 0,
      valid: true,
      repairs: [],
    });
  });

  it("are computed from the state before the step", () => {
    const spec = makeSpec({ candidates: 1 });
    const p = plan(spec, new Map());
    const step = p.status === "running" ? p.steps[0] : undefined;
    if (!step) throw new Error("step expected");
    const output: StepOutput = {
      texts: ["Plan it"],
      finish_reasons: ["length"],
      usage: {},
      backend: "mock:x",
      latency_ms: 1,
    };
    expect(eventsForStep(spec, new Map(), step, output)).toEqual([
      {
        type: "candidate.generated",
        data: {
          stage: "SUMMARY",
          step: "SUMMARY/gen/0.0",
          prefix: 0,
          index: 0,
          text: "Plan it",
          valid: true,
          repairs: ["added missing </SUMMARY> (ran out of tokens)"],
        },
      },
    ]);
  });
});

describe("trace", () => {
  it("describes partial state (a run that failed midway)", async () => {
    const spec = makeSpec({ candidates: 4 });
    const run = await runInMemory(spec, scriptedModel(), { schedule: "concurrent" });
    const partial = new Map(
      [...run.done].filter(([id]) => id.startsWith("SUMMARY/") || id === "CAPTION/gen/0.0" || id === "CAPTION/gen/0.1"),
    );
    const trace = buildTrace(spec, partial);
    expect(trace).toMatchObject({ strategy: "stage_beam", scorer: "judge", candidates: 4, keep: 1 });
    expect(trace.stages.map((s) => [s.stage, s.status, s.candidates.length])).toEqual([
      ["SUMMARY", "completed", 4],
      ["CAPTION", "generating", 2],
    ]);
    const partialMatches = new Map(
      [...run.done].filter(([id]) => !id.startsWith("SUMMARY/match/2") && !id.startsWith("SUMMARY/select")),
    );
    const summary = buildTrace(spec, partialMatches).stages[0];
    expect(summary?.status).toBe("scoring");
    expect(summary?.matches.map((m) => m.status)).toEqual(["decided", "decided", "pending"]);
    expect(summary?.bracket).toHaveLength(4);
    expect(JSON.parse(JSON.stringify(run.trace))).toEqual(run.trace);
  });

  it("records self-checks, matches with raw judge text, ranking and selection", async () => {
    const run = await runInMemory(makeSpec({ candidates: 3 }), scriptedModel(), { schedule: "concurrent" });
    const reasoning = run.trace.stages[2];
    expect(reasoning?.selfchecks.map((c) => c.verdict)).toEqual(["correct", "correct", "correct"]);
    expect(reasoning?.matches.every((m) => m.decided_by === "judge" && m.raw?.includes("VERDICT"))).toBe(true);
    expect(reasoning?.ranking).toHaveLength(3);
    expect(reasoning?.selected).toEqual([reasoning?.ranking[0]]);
  });
});
