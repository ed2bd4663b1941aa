import { describe, expect, it } from "vitest";
import { bracketShape } from "./bracket";
import { runInMemory } from "./memory-executor";
import { currentStage, plan, runLocalStep } from "./planner";
import { STAGES } from "./stages";
import { makeSpec, scriptedModel, stageOf } from "./testing";

describe("stage beam with the judge scorer", () => {
  it.each([2, 4, 5, 8])("N=%i: N−1 matches per stage in ⌈log₂N⌉ rounds, each round issued together", async (n) => {
    const model = scriptedModel();
    const run = await runInMemory(makeSpec({ candidates: n }), model, { schedule: "concurrent" });
    const rounds = Math.ceil(Math.log2(n));
    for (const stage of STAGES) {
      const matchIds = [...run.done.keys()].filter((id) => id.startsWith(`${stage}/match/`));
      expect(matchIds, stage).toHaveLength(n - 1);
      const perRound = Array.from(
        { length: rounds },
        (_, r) => matchIds.filter((id) => id.startsWith(`${stage}/match/${r + 1}/`)).length,
      );
      expect(perRound, stage).toEqual(bracketShape(n));
      // Concurrency: every round's judge calls went out in one wave, and each round in its own wave.
      const judgeCalls = run.calls.filter((c) => c.purpose === "judge" && c.steps[0]?.startsWith(`${stage}/`));
      expect(judgeCalls).toHaveLength(n - 1);
      const waves = [...new Set(judgeCalls.map((c) => c.wave))];
      expect(waves, stage).toHaveLength(rounds);
      for (const [r, wave] of waves.entries()) {
        expect(
          judgeCalls.filter((c) => c.wave === wave).every((c) => c.steps[0]?.startsWith(`${stage}/match/${r + 1}/`)),
        ).toBe(true);
      }
    }
    // The N candidates of a stage share one prompt: a single call with n = N.
    expect(run.calls.filter((c) => c.purpose === "generate").map((c) => c.n)).toEqual([n, n, n, n]);
  });

  it("continues each next stage from the previous stage's winner", async () => {
    const model = scriptedModel();
    const run = await runInMemory(makeSpec({ candidates: 3 }), model, { schedule: "concurrent" });
    const accepted: string[] = [];
    for (const [i, stage] of STAGES.entries()) {
      const calls = model.callsBy("generate").filter((c) => stageOf(c) === stage);
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) expect(c.prompt.assistant_prefix).toBe([...accepted, `<${stage}>`].join("\n"));
      const st = run.trace.stages[i];
      const winner = st?.candidates.find((c) => c.id === st.selected[0]);
      expect(winner?.id).toBe(st?.ranking[0]);
      const finalMatch = st?.matches.at(-1);
      expect(finalMatch?.winner).toBe(winner?.id);
      accepted.push(`<${stage}>${winner?.text}</${stage}>`);
      expect(run.result.stages[stage]).toBe(winner?.text);
    }
    expect(run.result.text).toBe(accepted.join("\n"));
    expect(run.result.answer).toBe(run.result.stages.CONCLUSION);
  });

  it("asks generate steps for one candidate each, with the stage's stop, sampling and own seed", () => {
    const spec = makeSpec({ candidates: 3, stages: { SUMMARY: { temperature: 0.9, max_tokens: 64 } } });
    const p = plan(spec, new Map());
    if (p.status !== "running") throw new Error("running expected");
    expect(p.steps.map((s) => s.id)).toEqual(["SUMMARY/gen/0.0", "SUMMARY/gen/0.1", "SUMMARY/gen/0.2"]);
    for (const s of p.steps) {
      expect(s.request).toMatchObject({
        purpose: "generate",
        n: 1,
        stop: ["</SUMMARY>"],
        temperature: 0.9,
        top_p: 0.9,
        max_tokens: 64,
      });
      expect(s.request?.seeds).toHaveLength(1);
    }
    expect(new Set(p.steps.map((s) => s.request?.seeds[0])).size).toBe(3);
    expect(currentStage(spec, new Map())).toBe("SUMMARY");
  });

  it("never re-plans a done step and refuses to run a model step locally", async () => {
    const spec = makeSpec({ candidates: 2 });
    const run = await runInMemory(spec, scriptedModel(), { schedule: "sequential" });
    expect(plan(spec, run.done).status).toBe("done");
    expect(currentStage(spec, run.done)).toBeNull();
    const partial = new Map([...run.done].filter(([id]) => id.startsWith("SUMMARY/gen/")));
    const p = plan(spec, partial);
    expect(p.status === "running" && p.steps.map((s) => s.id)).toEqual(["SUMMARY/match/1/0"]);
    const step = p.status === "running" ? p.steps[0] : undefined;
    expect(() => step && runLocalStep(spec, partial, step)).toThrow(/not a local step/);
  });

  it("uses per-stage candidate and scorer overrides", async () => {
    const spec = makeSpec({ candidates: 2, stages: { CAPTION: { candidates: 4 }, CONCLUSION: { scorer: "vote" } } });
    const run = await runInMemory(spec, scriptedModel(), { schedule: "concurrent" });
    expect(run.trace.stages.map((s) => s.candidates.length)).toEqual([2, 4, 2, 2]);
    expect(run.trace.stages[3]).toMatchObject({ scorer: "vote", matches: [] });
    expect(run.trace.stages[1]?.matches).toHaveLength(3);
  });
});
