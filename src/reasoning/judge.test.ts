import { describe, expect, it } from "vitest";
import {
  buildJudgePrompt,
  buildSelfCheckPrompt,
  judgeReference,
  parseSelfCheck,
  parseVerdict,
  readJudgeReply,
  referenceForm,
  wordEditDistance,
  type JudgedStage,
} from "./judge";
import { renderStages } from "./parser";
import { buildAnswerPrompt, buildStagePrompt } from "./prompts";

describe("parseVerdict", () => {
  it.each([
    ["The first is more accurate.\nVERDICT: 1", 1],
    ["verdict 2", 2],
    ["Verdict: Response 2", 2],
    ["Response 1 is better because it counts.", 1],
    ["I prefer response 2.", 2],
    ["Response 1 is better.\nVERDICT: 2", 2],
  ])("reads %j as %i (the last explicit verdict wins)", (raw, winner) => {
    expect(parseVerdict(raw).winner).toBe(winner);
  });

  it("returns null when there is no explicit verdict", () => {
    expect(parseVerdict("Both are fine.").winner).toBeNull();
    expect(parseVerdict("").winner).toBeNull();
    expect(parseVerdict("VERDICT: 3").winner).toBeNull();
  });

  it("keeps the rationale without the verdict line", () => {
    expect(parseVerdict("Response 2 names all shapes.\nVERDICT: 2").rationale).toBe("Response 2 names all shapes.");
  });
});

describe("readJudgeReply: a judge's own reference decides", () => {
  const right = "Counting them: center 1, middle right 2. So there are 2.";
  const wrong = "Counting them: center 1, middle right 3. So there are 3.";
  const reply = (verdict: string): string =>
    `Check: ${right}\nResponse 1: Counting them: center 1, middle right 3 -> not 2: makes a mistake.\n${verdict}`;

  it("reads the reference only from a first line that starts with Check:", () => {
    expect(judgeReference(reply("VERDICT: 2"))).toBe(right);
    expect(judgeReference("\n  check:  2 red\nVERDICT: 1")).toBe("2 red");
    expect(judgeReference("Response 1 is better.\nCheck: 2\nVERDICT: 1")).toBeNull();
    expect(judgeReference("Check:\nVERDICT: 1")).toBeNull();
  });

  it("counts word edits, ignoring case and spacing", () => {
    expect(wordEditDistance(right, right.toUpperCase().replace(/ /g, "  "))).toBe(0);
    expect(wordEditDistance(right, wrong)).toBe(2);
    expect(wordEditDistance("", "a b")).toBe(2);
    expect(wordEditDistance("a b c", "a c")).toBe(1);
  });

  it("the response closer to the reference wins, even against the judge's own verdict line", () => {
    expect(readJudgeReply("REASONING", reply("VERDICT: 1"), wrong, right)).toMatchObject({
      winner: 2,
      by: "reference",
    });
    expect(readJudgeReply("REASONING", reply("VERDICT: 1"), right, wrong)).toMatchObject({
      winner: 1,
      by: "reference",
    });
    expect(readJudgeReply("REASONING", reply("VERDICT: 1"), wrong, right).rationale).toMatch(
      /^Response 2 is closer to the judge's reference \(0 vs 2 word edits; its verdict said Response 1\)/,
    );
    expect(readJudgeReply("REASONING", reply(""), wrong, right)).toMatchObject({ winner: 2, by: "reference" });
  });

  it("falls back to the explicit verdict on a tie or without a reference, and to null without either", () => {
    const tie = `Check: ${right}\nVERDICT: 2`;
    expect(readJudgeReply("REASONING", tie, wrong, wrong)).toMatchObject({ winner: 2, by: "verdict" });
    expect(readJudgeReply("SUMMARY", "Response 1: a plan.\nVERDICT: 1", "plan", "answer")).toMatchObject({
      winner: 1,
      by: "verdict",
    });
    expect(readJudgeReply("REASONING", `Check: ${right}`, wrong, wrong)).toMatchObject({ winner: null, by: null });
  });

  it("compares whole answers in the reference's form: the reasoning, then the answer", () => {
    const answer = (reasoning: string, conclusion: string): string =>
      renderStages({ SUMMARY: "I will count.", CAPTION: "Two shapes.", REASONING: reasoning, CONCLUSION: conclusion });
    expect(referenceForm("ANSWER", answer(right, "2"))).toBe(`${right} Answer: 2.`);
    expect(referenceForm("CAPTION", "<SUMMARY>plan</SUMMARY>\n<CAPTION>Two shapes.</CAPTION>")).toBe("Two shapes.");
    expect(referenceForm("CAPTION", "Two shapes.")).toBe("Two shapes.");
    const r = readJudgeReply(
      "ANSWER",
      `Check: ${right} Answer: 2.\nVERDICT: 1`,
      answer(right, "3"),
      answer(right, "2"),
    );
    expect(r).toMatchObject({ winner: 2, by: "reference" });
  });
});

describe("parseSelfCheck", () => {
  it.each([
    ["CHECK: CORRECT", "correct"],
    ["CHECK: INCORRECT", "incorrect"],
    ["check incorrect", "incorrect"],
    ["Incorrect.", "incorrect"],
    ["CHECK: CORRECT\nCHECK: INCORRECT", "incorrect"],
    ["I am not sure", "unknown"],
    ["it is not correct", "unknown"],
    ["", "unknown"],
  ])("reads %j as %s", (raw, verdict) => {
    expect(parseSelfCheck(raw)).toBe(verdict);
  });
});

describe("judge prompts", () => {
  const stages: JudgedStage[] = ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION", "ANSWER"];

  it("keeps the fixed instruction text compact for the small judge", () => {
    for (const stage of stages) {
      const empty = buildJudgePrompt(stage, "", {}, "", "");
      const fixed = empty.user.split("\n\n")[0] ?? "";
      expect(fixed.length, stage).toBeLessThanOrEqual(350);
      expect(fixed).toContain('"VERDICT: 1" or "VERDICT: 2"');
    }
    expect(buildSelfCheckPrompt("", {}, "").user.split("\n\n")[0]?.length).toBeLessThanOrEqual(350);
  });

  it("is deterministic and shows the image, question, context and both responses", () => {
    const a = buildJudgePrompt("CAPTION", "How many?", { SUMMARY: "Count them." }, "three", "four");
    expect(buildJudgePrompt("CAPTION", "How many?", { SUMMARY: "Count them." }, "three", "four")).toEqual(a);
    expect(a.with_image).toBe(true);
    expect(a.system).toBeUndefined();
    expect(a.user).toContain("Question: How many?");
    expect(a.user).toContain("<SUMMARY>Count them.</SUMMARY>");
    expect(a.user).toMatch(/Response 1:\nthree\n\nResponse 2:\nfour$/);
  });

  it("uses different criteria per stage", () => {
    const texts = new Set(stages.map((s) => buildJudgePrompt(s, "q", {}, "a", "b").user));
    expect(texts.size).toBe(stages.length);
    expect(buildJudgePrompt("CONCLUSION", "q", {}, "a", "b").user).toMatch(/refusal/);
  });
});

describe("generation prompts", () => {
  it("prefills the accepted stages and the next opening tag, no system prompt", () => {
    expect(buildStagePrompt("q", {}, "SUMMARY")).toEqual({
      user: "q",
      assistant_prefix: "<SUMMARY>",
      with_image: true,
    });
    const p = buildStagePrompt("q", { SUMMARY: "s", CAPTION: "c" }, "REASONING", false);
    expect(p.assistant_prefix).toBe("<SUMMARY>s</SUMMARY>\n<CAPTION>c</CAPTION>\n<REASONING>");
    expect(p.with_image).toBe(false);
    expect(buildAnswerPrompt("q").assistant_prefix).toBe("<SUMMARY>");
  });
});
