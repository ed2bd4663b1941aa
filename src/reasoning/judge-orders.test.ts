import { describe, expect, it } from "vitest";
import { runInMemory } from "./memory-executor";
import { makeSpec, scriptedModel } from "./testing";

type Run = Awaited<ReturnType<typeof runInMemory>>;
const stageOf = (run: Run, stage: string) => run.trace.stages.find((s) => s.stage === stage);

// Two CAPTION candidates: "long caption" (the longer one) and "short". Generate replies carry a
// per-candidate logprob so the fallback rule has something to break a tie with.
function twoCaptions(logprobs: [number, number]) {
  let next = 0;
  return (stage: string) => {
    if (stage !== "CAPTION") return `${stage} text`;
    const i = next++ % 2;
    return {
      generations: [
        {
          text: i === 0 ? "long caption" : "short",
          finish_reason: "stop" as const,
          mean_logprob: logprobs[i] as number,
        },
      ],
      usage: {},
      warnings: [],
    };
  };
}

describe("search.judge_orders = 2", () => {
  it("judges every match in both orders, concurrently, and a side that wins both wins the match", async () => {
    // Candidates of distinct lengths; the default judge picks the longer response, in either order.
    let k = 0;
    const model = scriptedModel({ generate: (stage) => `${stage} ${"x".repeat(++k)}` }, { capabilities: { n: false } });
    const run = await runInMemory(makeSpec({ candidates: 4, judge_orders: 2 }), model, { schedule: "concurrent" });
    for (const stage of ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]) {
      const st = stageOf(run, stage);
      expect(st?.matches, stage).toHaveLength(3);
      for (const m of st?.matches ?? []) {
        expect(m).toMatchObject({ status: "decided", decided_by: "judge", swapped_step: `${m.step}/swapped` });
        expect(m.raw).toMatch(/VERDICT/);
        expect(m.raw_swapped).toMatch(/VERDICT/);
      }
    }
    const judged = model.callsBy("judge").filter((c) => c.prompt.user.includes("CAPTION stage"));
    expect(judged).toHaveLength(6);
    // The swapped call shows the same two responses in the other order.
    const shown = judged.map((c) =>
      /Response 1:\n([\s\S]*)\n\nResponse 2:\n([\s\S]*)$/.exec(c.prompt.user)?.slice(1, 3).join(" | "),
    );
    const pairs = new Set(shown.map((s) => (s ?? "").split(" | ").sort().join(" | ")));
    expect(pairs.size).toBe(3);
    expect(new Set(shown).size).toBe(6);
    // One judge.decided event per match (when its second reply lands), naming the match's own step.
    const decided = run.events.filter((e) => e.type === "judge.decided" && e.data.stage === "CAPTION");
    expect(decided.map((e) => e.data.step).sort()).toEqual([
      "CAPTION/match/1/0",
      "CAPTION/match/1/1",
      "CAPTION/match/2/0",
    ]);
  });

  it("a judge that always picks Response 1 is a tie in both orders: the higher mean logprob wins", async () => {
    for (const [logprobs, expected] of [
      [[-0.2, -1.5], "long caption"],
      [[-1.5, -0.2], "short"],
    ] as const) {
      const model = scriptedModel(
        { generate: twoCaptions([...logprobs]), judge: () => "Response 1 reads better.\nVERDICT: 1" },
        { capabilities: { n: false, logprobs: true } },
      );
      const run = await runInMemory(makeSpec({ candidates: 2, judge_orders: 2 }), model, { schedule: "concurrent" });
      const m = stageOf(run, "CAPTION")?.matches[0];
      expect(m).toMatchObject({ decided_by: "fallback" });
      expect(m?.rationale).toMatch(/two orders disagree.*higher mean logprob/);
      expect(run.result.stages.CAPTION).toBe(expected);
    }
  });

  it("one order without a verdict: the other order decides", async () => {
    const model = scriptedModel(
      { generate: twoCaptions([-1, -1]), judge: (a) => (a === "short" ? "I cannot tell." : "VERDICT: 2") },
      { capabilities: { n: false, logprobs: true } },
    );
    const run = await runInMemory(makeSpec({ candidates: 2, judge_orders: 2 }), model, { schedule: "concurrent" });
    const m = stageOf(run, "CAPTION")?.matches[0];
    expect(m).toMatchObject({ decided_by: "judge" });
    expect(run.result.stages.CAPTION).toBe("short");
  });

  it("without the option a match is one judge call, as the reference does it", async () => {
    const model = scriptedModel({}, { capabilities: { n: false } });
    const run = await runInMemory(makeSpec({ candidates: 4 }), model, { schedule: "concurrent" });
    expect(model.callsBy("judge").filter((c) => c.prompt.user.includes("CAPTION stage"))).toHaveLength(3);
    expect(
      stageOf(run, "CAPTION")?.matches.every((m) => m.swapped_step === undefined && m.raw_swapped === undefined),
    ).toBe(true);
  });

  it("local decisions (a forfeit) need no judge call in either order", async () => {
    let next = 0;
    const model = scriptedModel(
      { generate: (stage) => (stage === "CAPTION" ? (["", "a caption"][next++ % 2] ?? "") : `${stage} text`) },
      { capabilities: { n: false } },
    );
    const run = await runInMemory(makeSpec({ candidates: 2, judge_orders: 2 }), model, { schedule: "sequential" });
    expect(stageOf(run, "CAPTION")?.matches[0]).toMatchObject({ decided_by: "forfeit", winner: "CAPTION/gen/0.1" });
    expect(model.callsBy("judge").filter((c) => c.prompt.user.includes("CAPTION stage"))).toHaveLength(0);
  });
});
