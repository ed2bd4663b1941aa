import { describe, expect, it } from "vitest";
import { initialEvents } from "./events";
import { runInMemory } from "./memory-executor";
import { plan } from "./planner";
import { renderStages } from "./parser";
import { makeSpec, scriptedModel, stageOf } from "./testing";

describe("stages taken as given (forks and cached runs)", () => {
  it("searches only the stages after the given ones, continuing from them", async () => {
    const parent = await runInMemory(makeSpec({ candidates: 3 }), scriptedModel(), { schedule: "concurrent" });
    const given = { SUMMARY: parent.result.stages.SUMMARY, CAPTION: parent.result.stages.CAPTION };
    const model = scriptedModel();
    const child = await runInMemory({ ...makeSpec({ candidates: 2 }), given }, model, { schedule: "concurrent" });

    const searched = new Set(model.callsBy("generate").map(stageOf));
    expect([...searched]).toEqual(["REASONING", "CONCLUSION"]);
    const prefix = `<SUMMARY>${given.SUMMARY}</SUMMARY>\n<CAPTION>${given.CAPTION}</CAPTION>`;
    for (const c of model.callsBy("generate").filter((c) => stageOf(c) === "REASONING"))
      expect(c.prompt.assistant_prefix).toBe(`${prefix}\n<REASONING>`);
    expect(child.result.stages.SUMMARY).toBe(given.SUMMARY);
    expect(child.result.stages.CAPTION).toBe(given.CAPTION);
    expect(child.result.text).toBe(renderStages(child.result.stages));
    expect(child.trace.given).toEqual(given);
    expect(child.trace.stages.map((s) => s.stage)).toEqual(["REASONING", "CONCLUSION"]);
    expect(initialEvents({ ...makeSpec(), given })).toEqual([
      expect.objectContaining({ type: "stage.started", data: expect.objectContaining({ stage: "REASONING" }) }),
    ]);
  });

  it("a run given every stage is done at once, with no call and no event to start a stage", async () => {
    const given = { SUMMARY: "s", CAPTION: "c", REASONING: "r", CONCLUSION: "the answer" };
    for (const strategy of ["stage_beam", "greedy", "best_of_n"] as const) {
      const spec = { ...makeSpec({ strategy }), given };
      expect(plan(spec, new Map())).toEqual({
        status: "done",
        result: { answer: "the answer", stages: given, text: renderStages(given) },
      });
      expect(initialEvents(spec)).toEqual([]);
      const model = scriptedModel();
      const run = await runInMemory(spec, model, { schedule: "concurrent" });
      expect(model.calls).toHaveLength(0);
      expect(run.trace.stages).toEqual([]);
      expect(run.trace.given).toEqual(given);
    }
  });

  it("greedy continues from the given stages too", async () => {
    const given = { SUMMARY: "given summary" };
    const model = scriptedModel();
    const run = await runInMemory({ ...makeSpec({ strategy: "greedy" }), given }, model, { schedule: "concurrent" });
    expect(model.callsBy("generate").map(stageOf)).toEqual(["CAPTION", "REASONING", "CONCLUSION"]);
    expect(run.result.stages.SUMMARY).toBe("given summary");
  });
});
