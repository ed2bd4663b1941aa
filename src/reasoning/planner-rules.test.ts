import { describe, expect, it } from "vitest";
import { runInMemory } from "./memory-executor";
import { makeSpec, scriptedModel } from "./testing";

const reasoningStage = (trace: Awaited<ReturnType<typeof runInMemory>>["trace"]) =>
  trace.stages.find((s) => s.stage === "REASONING");

describe("reasoning self-check", () => {
  it("an 'incorrect' candidate loses to a 'correct' one without a judge call", async () => {
    let n = 0;
    const model = scriptedModel(
      {
        generate: (stage) =>
          stage === "REASONING" ? (n++ === 0 ? "1 + 1 = 3 so wrong" : "1 + 1 = 2") : `${stage} text`,
        check: (reasoning) => (reasoning.includes("wrong") ? "CHECK: INCORRECT" : "CHECK: CORRECT"),
      },
      { capabilities: { n: false } },
    );
    const run = await runInMemory(makeSpec({ candidates: 2 }), model, { schedule: "concurrent" });
    const st = reasoningStage(run.trace);
    expect(st?.selfchecks.map((c) => c.verdict).sort()).toEqual(["correct", "incorrect"]);
    expect(st?.matches).toHaveLength(1);
    expect(st?.matches[0]).toMatchObject({ decided_by: "selfcheck", status: "decided" });
    expect(run.result.stages.REASONING).toBe("1 + 1 = 2");
    expect(model.callsBy("judge").filter((c) => c.prompt.user.includes("REASONING stage"))).toHaveLength(0);
    expect(model.callsBy("check")).toHaveLength(2);
    expect(model.callsBy("check")[0]).toMatchObject({ temperature: 0, n: 1, stop: [], max_tokens: 24 });
    expect(run.events.some((e) => e.type === "selfcheck.decided" && e.data.verdict === "incorrect")).toBe(true);
  });

  it("'unknown' counts as not incorrect; two 'incorrect' go to the judge", async () => {
    let next = 0;
    const unknownVsBad = scriptedModel(
      {
        generate: (stage) => (stage === "REASONING" ? (["sure path", "bad path"][next++] ?? "") : `${stage} text`),
        check: (r) => (r === "bad path" ? "CHECK: INCORRECT" : "no idea"),
      },
      { capabilities: { n: false } },
    );
    const run = await runInMemory(makeSpec({ candidates: 2 }), unknownVsBad, { schedule: "concurrent" });
    const st = reasoningStage(run.trace);
    expect(st?.selfchecks.map((c) => c.verdict)).toEqual(["unknown", "incorrect"]);
    expect(st?.matches[0]).toMatchObject({ decided_by: "selfcheck", winner: "REASONING/gen/0.0" });

    const bothBad = scriptedModel({ check: () => "CHECK: INCORRECT" });
    const run2 = await runInMemory(makeSpec({ candidates: 2 }), bothBad, { schedule: "concurrent" });
    expect(reasoningStage(run2.trace)?.matches[0]?.decided_by).toBe("judge");
    expect(bothBad.callsBy("judge").filter((c) => c.prompt.user.includes("REASONING stage"))).toHaveLength(1);
  });
});

describe("broken candidates", () => {
  it("repairs a candidate with stray tags and ranks empty ones last, without a judge call", async () => {
    const captions = ["", "<CAPTION>Three red circles.</CAPTION> trailing junk", "</CAPTION>"];
    let next = 0;
    const model = scriptedModel(
      { generate: (stage, seed) => (stage === "CAPTION" ? (captions[next++] ?? "") : `${stage} ${seed}`) },
      { capabilities: { n: false } },
    );
    const run = await runInMemory(makeSpec({ candidates: 3 }), model, { schedule: "sequential" });
    const caption = run.trace.stages[1];
    expect(caption?.candidates.map((c) => [c.valid, c.text, c.repairs, c.issues, c.merged_into])).toEqual([
      [false, "", [], ["empty output"], undefined],
      [true, "Three red circles.", ["removed duplicated <CAPTION>", "dropped text after </CAPTION>"], [], undefined],
      [false, "", [], ["only tags, no content"], "CAPTION/gen/0.0"],
    ]);
    expect(caption?.ranking).toEqual(["CAPTION/gen/0.1", "CAPTION/gen/0.0"]);
    expect(caption?.matches).toHaveLength(1);
    expect(caption?.matches[0]).toMatchObject({ decided_by: "forfeit", winner: "CAPTION/gen/0.1" });
    expect(model.callsBy("judge").filter((c) => c.prompt.user.includes("CAPTION stage"))).toHaveLength(0);
    expect(run.result.stages.CAPTION).toBe("Three red circles.");
    const generated = run.events.filter((e) => e.type === "candidate.generated" && e.data.stage === "CAPTION");
    expect(generated.map((e) => e.data.valid)).toEqual([false, true, false]);
  });

  it("a stage where every candidate is empty still finishes, carrying the issue", async () => {
    const model = scriptedModel({ generate: (stage) => (stage === "SUMMARY" ? "   " : `${stage} ok`) });
    const run = await runInMemory(makeSpec({ candidates: 4 }), model, { schedule: "concurrent" });
    const summary = run.trace.stages[0];
    expect(summary?.candidates.every((c) => !c.valid)).toBe(true);
    expect(summary?.issues).toContain("no valid candidate: the best invalid one is carried on");
    expect(run.result.stages.SUMMARY).toBe("");
    expect(run.result.answer).toBe("CONCLUSION ok");
    expect(model.callsBy("judge").filter((c) => c.prompt.user.includes("SUMMARY stage"))).toHaveLength(0);
  });

  it("an unparseable verdict is decided by the fallback: higher mean logprob wins", async () => {
    const model = scriptedModel({
      generate: (stage, seed) => ({
        generations: [{ text: `${stage} ${seed}`, finish_reason: "stop", mean_logprob: -(seed % 97) }],
        usage: {},
        warnings: [],
      }),
      judge: () => "Both look fine to me.",
    });
    const run = await runInMemory(makeSpec({ candidates: 2 }), model, { schedule: "concurrent" });
    for (const st of run.trace.stages) {
      const m = st.matches[0];
      expect(m?.decided_by).toBe("fallback");
      expect(m?.raw).toBe("Both look fine to me.");
      const [a, b] = (m?.pair ?? []).map((id) => st.candidates.find((c) => c.id === id)?.mean_logprob ?? 0);
      expect(m?.winner).toBe((a ?? 0) >= (b ?? 0) ? m?.pair[0] : m?.pair[1]);
    }
  });

  it("a judge that writes its own reference (Check:) is decided by it, not by its verdict line", async () => {
    // The judge always says VERDICT: 1, but its reference is the "good" text of the stage.
    const model = scriptedModel({
      generate: (stage, seed) => (seed % 2 === 0 ? `${stage} good` : `${stage} bad ${seed}`),
      judge: (_first, _second, call) =>
        `Check: ${/Both are the (\w+) stage/.exec(call.prompt.user)?.[1] ?? ""} good\nVERDICT: 1`,
    });
    let mixed = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const run = await runInMemory(
        makeSpec({ candidates: 2 }, { sampling: { temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 256, seed } }),
        model,
        { schedule: "concurrent" },
      );
      for (const st of run.trace.stages) {
        for (const m of st.matches) {
          const texts = m.pair.map((id) => st.candidates.find((c) => c.id === id)?.text);
          if (!texts.includes(`${st.stage} good`) || texts.every((t) => t === `${st.stage} good`)) continue;
          mixed++;
          expect(m.decided_by).toBe("judge");
          expect(st.candidates.find((c) => c.id === m.winner)?.text).toBe(`${st.stage} good`);
          expect(m.rationale).toMatch(/closer to the judge's reference/);
        }
      }
    }
    expect(mixed).toBeGreaterThan(0);
  });

  it("without logprobs the fallback prefers fewer repairs, then Response 1", async () => {
    const model = scriptedModel({
      generate: (stage, seed) => (seed % 2 === 0 ? `<${stage}>${stage} even</${stage}>` : `${stage} odd ${seed}`),
      judge: () => "VERDICT: maybe",
    });
    const run = await runInMemory(makeSpec({ candidates: 2 }), model, { schedule: "concurrent" });
    for (const st of run.trace.stages) {
      const m = st.matches[0];
      const [a, b] = (m?.pair ?? []).map((id) => st.candidates.find((c) => c.id === id)?.repairs.length ?? 0);
      expect(m?.decided_by).toBe("fallback");
      expect(m?.winner).toBe((a ?? 0) <= (b ?? 0) ? m?.pair[0] : m?.pair[1]);
    }
  });
});

describe("twins", () => {
  it("identical candidates are merged and cost no judge call", async () => {
    const model = scriptedModel({
      generate: (stage, seed) => (seed % 2 === 0 ? `${stage} same` : `  ${stage}   SAME `),
    });
    const run = await runInMemory(makeSpec({ candidates: 4 }), model, { schedule: "concurrent" });
    expect(model.callsBy("judge")).toHaveLength(0);
    for (const st of run.trace.stages) {
      expect(st.candidates.filter((c) => c.merged_into)).toHaveLength(3);
      expect(st.matches).toHaveLength(0);
      expect(st.selected).toEqual([st.candidates.find((c) => !c.merged_into)?.id]);
    }
  });

  it("the verifier spends no call on a stage with one distinct valid candidate", async () => {
    const model = scriptedModel(
      { generate: (stage, seed) => (stage === "CAPTION" ? `${stage} variant ${seed % 2}` : `${stage} same`) },
      { verify: (r) => r.candidate.length / 100 },
    );
    const run = await runInMemory(makeSpec({ candidates: 4, scorer: "verifier" }), model, { schedule: "concurrent" });
    // Only CAPTION has two distinct candidates to choose from: one call, both in it.
    expect(model.verifyCalls.map((c) => c.requests.map((r) => r.stage))).toEqual([["CAPTION", "CAPTION"]]);
    for (const st of run.trace.stages) {
      expect(st.verifications).toHaveLength(st.stage === "CAPTION" ? 2 : 0);
      expect(st.selected).toHaveLength(1);
      expect(st.issues).toEqual([]);
    }
  });

  it("three distinct of five candidates need exactly two matches", async () => {
    const model = scriptedModel({ generate: (stage, seed) => `${stage} variant ${seed % 3}` });
    const run = await runInMemory(makeSpec({ candidates: 5 }), model, { schedule: "concurrent" });
    for (const st of run.trace.stages) {
      const unique = st.candidates.filter((c) => !c.merged_into).length;
      expect(st.matches).toHaveLength(unique - 1);
      expect(st.ranking).toHaveLength(unique);
    }
  });
});
