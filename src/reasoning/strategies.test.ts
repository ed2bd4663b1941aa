import { describe, expect, it } from "vitest";
import { runInMemory } from "./memory-executor";
import { makeSpec, scriptedModel, stageOf } from "./testing";

describe("keep > 1: a true beam", () => {
  it("keep=2 expands 2 prefixes × N candidates and pools them into one bracket", async () => {
    const model = scriptedModel();
    const run = await runInMemory(makeSpec({ candidates: 3, keep: 2 }), model, { schedule: "concurrent" });
    const [summary, caption, reasoning, conclusion] = run.trace.stages;
    expect(summary?.selected).toHaveLength(2);
    expect(caption?.prefixes).toEqual([
      { index: 0, parent: summary?.selected[0] },
      { index: 1, parent: summary?.selected[1] },
    ]);
    expect(caption?.candidates.map((c) => c.id)).toEqual([
      "CAPTION/gen/0.0",
      "CAPTION/gen/0.1",
      "CAPTION/gen/0.2",
      "CAPTION/gen/1.0",
      "CAPTION/gen/1.1",
      "CAPTION/gen/1.2",
    ]);
    expect(caption?.matches).toHaveLength(5);
    expect(reasoning?.candidates).toHaveLength(6);
    // The last stage keeps only the winner.
    expect(conclusion?.candidates).toHaveLength(6);
    expect(conclusion?.selected).toHaveLength(1);

    // Each CAPTION prefix continues a different SUMMARY.
    const prefixes = new Set(
      model
        .callsBy("generate")
        .filter((c) => stageOf(c) === "CAPTION")
        .map((c) => c.prompt.assistant_prefix),
    );
    expect(prefixes.size).toBe(2);
    // The answer's stages form one path through the tree.
    const winner = conclusion?.candidates.find((c) => c.id === conclusion.selected[0]);
    const reasoningParent = reasoning?.candidates.find((c) => c.text === run.result.stages.REASONING);
    expect(winner?.prefix).toBe(conclusion?.prefixes.findIndex((p) => p.parent === reasoningParent?.id));
  });

  it("a judge comparing candidates of different prefixes sees each one's own earlier stages", async () => {
    const model = scriptedModel();
    await runInMemory(makeSpec({ candidates: 2, keep: 2 }), model, { schedule: "concurrent" });
    const crossPrefix = model
      .callsBy("judge")
      .find((c) => c.prompt.user.includes("CAPTION stage") && c.prompt.user.includes("Response 1:\n<SUMMARY>"));
    expect(crossPrefix?.prompt.user).toMatch(/Response 2:\n<SUMMARY>[\s\S]*<\/SUMMARY>\n<CAPTION>/);
  });
});

describe("greedy", () => {
  it("makes exactly one backend call per stage, at temperature 0", async () => {
    const model = scriptedModel();
    const run = await runInMemory(makeSpec({ strategy: "greedy", candidates: 5 }), model, { schedule: "concurrent" });
    expect(model.calls).toHaveLength(4);
    expect(model.calls.map((c) => [stageOf(c), c.temperature, c.n, c.purpose])).toEqual([
      ["SUMMARY", 0, 1, "generate"],
      ["CAPTION", 0, 1, "generate"],
      ["REASONING", 0, 1, "generate"],
      ["CONCLUSION", 0, 1, "generate"],
    ]);
    expect([...run.done.keys()]).toEqual([
      "SUMMARY/gen/0.0",
      "SUMMARY/select",
      "CAPTION/gen/0.0",
      "CAPTION/select",
      "REASONING/gen/0.0",
      "REASONING/select",
      "CONCLUSION/gen/0.0",
      "CONCLUSION/select",
    ]);
    expect(run.result.answer).toMatch(/^CONCLUSION candidate/);
  });
});

describe("best_of_n", () => {
  const answer = (seed: number): string =>
    `Plan ${seed}.</SUMMARY>\n<CAPTION>Caption ${seed}.</CAPTION>\n<REASONING>Reason ${seed}.</REASONING>\n<CONCLUSION>${seed % 3}`;

  it("judges whole answers: N generations and N−1 whole-answer matches", async () => {
    const model = scriptedModel({ generate: (_stage, seed) => answer(seed) });
    const run = await runInMemory(makeSpec({ strategy: "best_of_n", candidates: 4 }), model, {
      schedule: "concurrent",
    });
    const gens = model.callsBy("generate");
    expect(gens).toHaveLength(1); // one call, n = 4
    expect(gens[0]).toMatchObject({
      n: 4,
      stop: ["</CONCLUSION>"],
      max_tokens: 4 * 256,
      prompt: { assistant_prefix: "<SUMMARY>" },
    });
    const judges = model.callsBy("judge");
    expect(judges).toHaveLength(3);
    for (const j of judges) expect(j.prompt.user).toContain("whole answers");
    expect([...run.done.keys()].filter((id) => id.startsWith("ANSWER/match/"))).toEqual([
      "ANSWER/match/1/0",
      "ANSWER/match/1/1",
      "ANSWER/match/2/0",
    ]);
    expect(run.trace.stages.map((s) => s.stage)).toEqual(["ANSWER"]);
    const winner = run.trace.stages[0]?.candidates.find((c) => c.id === run.trace.stages[0]?.selected[0]);
    expect(run.result.stages).toEqual(winner?.stages);
    expect(run.result.answer).toBe(winner?.stages?.CONCLUSION);
    expect(run.events.map((e) => e.type)).toEqual([
      "stage.started",
      ...Array(4).fill("candidate.generated"),
      ...Array(3).fill("judge.decided"),
      "stage.completed",
    ]);
  });

  it("votes over whole answers by their CONCLUSION", async () => {
    const conclusions = ["3", "4", "The answer is 4.", "5"];
    let next = 0;
    const model = scriptedModel(
      {
        generate: () =>
          `s</SUMMARY><CAPTION>c${next}</CAPTION><REASONING>r</REASONING><CONCLUSION>${conclusions[next++] ?? ""}`,
      },
      { capabilities: { n: false } },
    );
    const run = await runInMemory(makeSpec({ strategy: "best_of_n", candidates: 4, scorer: "vote" }), model, {
      schedule: "sequential",
    });
    expect(model.callsBy("judge")).toHaveLength(0);
    expect(run.result.answer).toBe("4");
    expect(run.trace.stages[0]?.scores?.["ANSWER/gen/0.1"]).toBe(2);
  });
});

describe("logprob scorer end to end", () => {
  it("selects the candidate with the highest mean logprob, no judge calls", async () => {
    const model = scriptedModel({
      generate: (stage, seed) => ({
        generations: [{ text: `${stage} ${seed}`, finish_reason: "stop", mean_logprob: -(seed % 1000) / 100 }],
        usage: {},
        warnings: [],
      }),
    });
    const run = await runInMemory(makeSpec({ candidates: 3, scorer: "logprob" }), model, { schedule: "concurrent" });
    expect(model.callsBy("judge")).toHaveLength(0);
    for (const st of run.trace.stages) {
      const best = [...st.candidates].sort((a, b) => (b.mean_logprob ?? 0) - (a.mean_logprob ?? 0))[0];
      expect(st.selected).toEqual([best?.id]);
    }
  });
});
