import { describe, expect, it } from "vitest";
import { buildJudgePrompt, buildSelfCheckPrompt, parseSelfCheck, parseVerdict, type JudgedStage } from "./judge";
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
    expect(buildStagePrompt("q", {}, "SUMMARY")).toEqual({ user: "q", assistant_prefix: "<SUMMARY>", with_image: true });
    const p = buildStagePrompt("q", { SUMMARY: "s", CAPTION: "c" }, "REASONING", false);
    expect(p.assistant_prefix).toBe("<SUMMARY>s</SUMMARY>\n<CAPTION>c</CAPTION>\n<REASONING>");
    expect(p.with_image).toBe(false);
    expect(buildAnswerPrompt("q").assistant_prefix).toBe("<SUMMARY>");
  });
});
