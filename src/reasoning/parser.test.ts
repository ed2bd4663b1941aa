import { describe, expect, it } from "vitest";
import { parseAnswer, parseStageText, renderStages } from "./parser";

describe("parseStageText", () => {
  it("takes clean content that ended at the stop sequence without any repair", () => {
    expect(parseStageText("CAPTION", "  Three red circles.  ", "stop")).toEqual({
      text: "Three red circles.",
      valid: true,
      repairs: [],
      issues: [],
    });
  });

  it("adds a missing closing tag when the model ran out of tokens", () => {
    const p = parseStageText("CAPTION", "Three red circles and", "length");
    expect(p.text).toBe("Three red circles and");
    expect(p.valid).toBe(true);
    expect(p.repairs).toEqual(["added missing </CAPTION> (ran out of tokens)"]);
  });

  it("drops stray text after the closing tag", () => {
    const p = parseStageText("CAPTION", "Two squares.</CAPTION>\n<REASONING>I count", "stop");
    expect(p.text).toBe("Two squares.");
    expect(p.repairs).toEqual(["dropped text after </CAPTION>"]);
  });

  it("keeps a closing tag followed by whitespace only as clean", () => {
    expect(parseStageText("SUMMARY", "Plan it.</SUMMARY>\n\n").repairs).toEqual([]);
  });

  it("removes a duplicated opening tag", () => {
    const p = parseStageText("CAPTION", "<CAPTION> A blue triangle.</CAPTION>");
    expect(p.text).toBe("A blue triangle.");
    expect(p.repairs).toEqual(["removed duplicated <CAPTION>"]);
  });

  it("cuts at another stage's tag and reports the missing close", () => {
    const p = parseStageText("REASONING", "2 + 1 = 3 <CONCLUSION>3</CONCLUSION>", "stop");
    expect(p.text).toBe("2 + 1 = 3");
    expect(p.repairs).toContain("dropped text from <CONCLUSION> on (another stage's tag)");
    expect(p.repairs).toContain("added missing </REASONING>");
  });

  it("skips a restated earlier stage before its own opening tag", () => {
    const p = parseStageText("CAPTION", "<SUMMARY>plan</SUMMARY>\n<CAPTION>A red circle.</CAPTION>");
    expect(p.text).toBe("A red circle.");
    expect(p.repairs).toEqual(["dropped <SUMMARY>… block before <CAPTION>"]);
  });

  it("tolerates tag case and spaces", () => {
    expect(parseStageText("CAPTION", "ok < /caption > rest").text).toBe("ok");
  });

  it("marks empty, whitespace and tag-only output invalid with a reason, never throws", () => {
    expect(parseStageText("CAPTION", "", "stop")).toMatchObject({ valid: false, text: "", issues: ["empty output"] });
    expect(parseStageText("CAPTION", "   \n", "stop").valid).toBe(false);
    const tagsOnly = parseStageText("CAPTION", "<CAPTION></CAPTION>", "stop");
    expect(tagsOnly).toMatchObject({ valid: false, issues: ["only tags, no content"] });
    expect(parseStageText("CAPTION", "", "length").issues).toContain("ran out of tokens before any content");
  });
});

describe("parseAnswer", () => {
  const whole =
    "I will count.</SUMMARY>\n<CAPTION>Three circles.</CAPTION>\n<REASONING>1+1+1=3</REASONING>\n<CONCLUSION>3";

  it("parses a whole answer continuing the <SUMMARY> prefix, stop consumed", () => {
    const p = parseAnswer(whole, "stop");
    expect(p.stages).toEqual({
      SUMMARY: "I will count.",
      CAPTION: "Three circles.",
      REASONING: "1+1+1=3",
      CONCLUSION: "3",
    });
    expect(p).toMatchObject({ valid: true, repairs: [], missing: [] });
    expect(p.text).toBe(renderStages(p.stages));
  });

  it("reports a missing stage and stays valid while a CONCLUSION exists", () => {
    const p = parseAnswer("Plan.</SUMMARY><CONCLUSION>4</CONCLUSION>");
    expect(p.missing).toEqual(["CAPTION", "REASONING"]);
    expect(p.issues).toEqual(["missing <CAPTION>", "missing <REASONING>"]);
    expect(p.valid).toBe(true);
  });

  it("is invalid without a CONCLUSION, and repairs unclosed stages", () => {
    const p = parseAnswer("Plan.</SUMMARY><CAPTION>Cap<REASONING>Because", "length");
    expect(p.valid).toBe(false);
    expect(p.stages).toEqual({ SUMMARY: "Plan.", CAPTION: "Cap", REASONING: "Because" });
    expect(p.repairs).toEqual(["added missing </CAPTION>", "added missing </REASONING> (ran out of tokens)"]);
  });

  it("takes untagged text as the CONCLUSION and reports it", () => {
    const p = parseAnswer("The answer is 3.");
    expect(p.stages).toEqual({ CONCLUSION: "The answer is 3." });
    expect(p.repairs).toEqual(["no stage tags: whole text taken as the CONCLUSION"]);
  });

  it("drops repeated blocks, stray closing tags and text outside tags", () => {
    const p = parseAnswer("<SUMMARY>a</SUMMARY> noise <SUMMARY>b</SUMMARY></CAPTION><CONCLUSION>c</CONCLUSION>");
    expect(p.stages.SUMMARY).toBe("a");
    expect(p.repairs).toEqual(
      expect.arrayContaining([
        "dropped text outside tags",
        "dropped repeated <SUMMARY> block",
        "removed stray </CAPTION>",
      ]),
    );
  });

  it("never throws on an empty answer", () => {
    expect(parseAnswer("")).toMatchObject({ valid: false, missing: ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"] });
  });
});

describe("renderStages", () => {
  it("renders present stages in canonical order, one per line", () => {
    expect(renderStages({ CAPTION: "c", SUMMARY: "s" })).toBe("<SUMMARY>s</SUMMARY>\n<CAPTION>c</CAPTION>");
    expect(renderStages({})).toBe("");
  });
});
