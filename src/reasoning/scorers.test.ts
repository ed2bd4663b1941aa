import { describe, expect, it } from "vitest";
import type { Candidate } from "./candidates";
import { normalizeAnswer } from "./normalize";
import { rankByLogprob } from "./scorers/logprob";
import { rankByVote } from "./scorers/vote";
import { fallbackDecision, matchMode } from "./scorers/judge";

let next = 0;
function cand(text: string, extra: Partial<Candidate> = {}): Candidate {
  const index = next++;
  return {
    id: `CONCLUSION/gen/0.${index}`,
    stage: "CONCLUSION",
    prefix: 0,
    index,
    label: `0.${index}`,
    raw: text,
    text,
    valid: text.trim() !== "",
    repairs: [],
    issues: [],
    finish_reason: "stop",
    mean_logprob: null,
    usage: {},
    accepted: {},
    ...extra,
  };
}

describe("normalizeAnswer", () => {
  it("strips case, punctuation, whitespace and lead-ins", () => {
    expect(normalizeAnswer("The answer is B.")).toBe("b");
    expect(normalizeAnswer(" b ")).toBe("b");
    expect(normalizeAnswer("Final answer: 3.5 cm")).toBe("3.5cm");
  });
});

describe("logprob scorer", () => {
  it("ranks by mean logprob; missing ranks after known, with an issue; invalid last", () => {
    const a = cand("a", { mean_logprob: -1 });
    const b = cand("b", { mean_logprob: -0.5 });
    const c = cand("c");
    const bad = cand("", { mean_logprob: 0 });
    const r = rankByLogprob([a, bad, c, b]);
    expect(r.ranking).toEqual([b.id, a.id, c.id, bad.id]);
    expect(r.issues).toEqual([`${c.id}: no mean logprob reported (ranked after those with one)`]);
  });
});

describe("vote scorer", () => {
  it("takes the majority of normalised answers; merged twins still vote", () => {
    const a = cand("The answer is 3.");
    const b = cand("4");
    const c = cand("3");
    const twin = cand("3", { merged_into: c.id });
    const r = rankByVote("CONCLUSION", [a, b, c, twin], [a, b, c]);
    expect(r.scores[a.id]).toBe(3);
    expect(r.ranking).toEqual([a.id, c.id, b.id]);
  });

  it("breaks ties by logprob then index; invalid last", () => {
    const a = cand("1", { mean_logprob: -2 });
    const b = cand("2", { mean_logprob: -1 });
    const c = cand("3");
    const bad = cand("");
    expect(rankByVote("CONCLUSION", [bad, a, b, c], [bad, a, b, c]).ranking).toEqual([b.id, a.id, c.id, bad.id]);
  });

  it("uses Jaccard consensus for other stages", () => {
    const a = cand("three red circles left", { stage: "CAPTION" });
    const b = cand("three red circles right", { stage: "CAPTION" });
    const c = cand("a blue square", { stage: "CAPTION" });
    expect(rankByVote("CAPTION", [c, a, b], [c, a, b]).ranking[2]).toBe(c.id);
  });
});

describe("match decisions", () => {
  const none = (): undefined => undefined;
  it("forfeits against an invalid side without a judge", () => {
    expect(matchMode("CAPTION", cand(""), cand("x"), none)).toEqual({
      kind: "local",
      decision: { winner: 2, decided_by: "forfeit", rationale: "Response 1 is invalid and forfeits" },
    });
    expect(matchMode("CAPTION", cand(""), cand(""), none)).toMatchObject({ kind: "local", decision: { winner: 1 } });
  });

  it("lets a self-check 'incorrect' lose, waits for missing checks, judges otherwise", () => {
    const a = cand("r1");
    const b = cand("r2");
    const verdicts = (x: string, y: string) => (c: Candidate) =>
      (c === a ? x : y) as "correct" | "incorrect" | "unknown";
    expect(matchMode("REASONING", a, b, verdicts("incorrect", "unknown"))).toMatchObject({
      kind: "local",
      decision: { winner: 2, decided_by: "selfcheck" },
    });
    expect(matchMode("REASONING", a, b, verdicts("correct", "incorrect"))).toMatchObject({
      kind: "local",
      decision: { winner: 1 },
    });
    expect(matchMode("REASONING", a, b, verdicts("incorrect", "incorrect"))).toEqual({ kind: "judge" });
    expect(matchMode("REASONING", a, b, none)).toEqual({ kind: "waiting" });
    expect(matchMode("CAPTION", a, b, none)).toEqual({ kind: "judge" });
  });

  it("falls back to logprob, then fewer repairs, then Response 1", () => {
    expect(fallbackDecision(cand("a", { mean_logprob: -2 }), cand("b", { mean_logprob: -1 })).winner).toBe(2);
    expect(fallbackDecision(cand("a", { mean_logprob: -1, repairs: ["x"] }), cand("b", { repairs: [] })).winner).toBe(
      2,
    );
    expect(fallbackDecision(cand("a"), cand("b"))).toEqual({
      winner: 1,
      decided_by: "fallback",
      rationale: "no verdict in the judge reply; Response 1 (first-seeded) advances",
    });
  });
});
