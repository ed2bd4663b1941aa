import { describe, expect, it } from "vitest";
import { renderStages } from "../../src/reasoning/parser";
import { parseVerdict } from "../../src/reasoning/judge";
import { referenceForm } from "../../src/reasoning/judge";
import { copyAgainst, judgeReply, pieces } from "../../tools/x1-shapes/judge-reply";
import { judgeExample, makeItem, minedJudgeItems, sceneFor } from "../../tools/x1-shapes/items";

const REASONING = "Counting them: center 1, middle right 2. So there are 2 purple shapes.";

describe("the embedded judge's training reply (tools/x1-shapes/judge-reply.ts)", () => {
  it("splits text into the tokenizer's pieces and loses nothing", () => {
    expect(pieces(REASONING).join("")).toBe(REASONING);
    expect(pieces("middle right 2.")).toEqual(["middle", " right", " 2", "."]);
  });

  it("copies an agreeing response whole and calls it correct", () => {
    expect(copyAgainst(REASONING, REASONING)).toEqual({ text: `${REASONING} -> correct`, agrees: true });
  });

  it("stops at the first piece that differs and names the reference's piece there", () => {
    const wrong = REASONING.replace("middle right 2", "middle right 3").replace("are 2", "are 3");
    expect(copyAgainst(REASONING, wrong)).toEqual({
      text: "Counting them: center 1, middle right 3 -> not 2",
      agrees: false,
    });
    expect(copyAgainst("yes", "no").text).toBe("no -> not yes");
  });

  it("handles responses shorter or longer than the reference", () => {
    expect(copyAgainst("There are 2 red shapes.", "There are 2").text).toBe("There are 2 -> not red");
    expect(copyAgainst("2", "2 or 3").text).toBe("2 or -> not the end");
    expect(copyAgainst("2", "").text).toBe(" -> not 2");
  });

  it("compares a whole answer by its reasoning and conclusion, in the reference's form", () => {
    const answer = renderStages({
      SUMMARY: "I will count.",
      CAPTION: "Purple shapes: two.",
      REASONING,
      CONCLUSION: "2",
    });
    expect(referenceForm("ANSWER", answer)).toBe(`${REASONING} Answer: 2.`);
    expect(referenceForm("REASONING", REASONING)).toBe(REASONING);
  });

  it("writes one agreeing copy and a verdict the engine parses, in either order", () => {
    const wrong = REASONING.replace("center 1", "center 2");
    for (const better of [1, 2] as const) {
      const [first, second] = better === 1 ? [REASONING, wrong] : [wrong, REASONING];
      const reply = judgeReply({
        stage: "REASONING",
        first,
        second,
        better,
        why: "makes a mistake",
        reference: REASONING,
      });
      expect(reply.split("\n")[0]).toBe(`Check: ${REASONING}`);
      expect(reply.match(/-> correct\./g)).toHaveLength(1);
      expect(reply).toContain(`Response ${3 - better}: Counting them: center 2 -> not 1: makes a mistake.`);
      expect(parseVerdict(reply).winner).toBe(better);
    }
  });

  it("keeps the plain format of runs 1-7 and the reference-free SUMMARY reply", () => {
    const j = {
      stage: "CONCLUSION" as const,
      first: "3",
      second: "2",
      better: 2 as const,
      why: "does not follow from the reasoning",
      reference: "2",
    };
    expect(judgeReply(j, "plain")).toBe(
      "Check: 2\nResponse 1: does not follow from the reasoning.\nResponse 2: correct.\nVERDICT: 2",
    );
    const s = {
      stage: "SUMMARY" as const,
      first: "I will count the red shapes.",
      second: "The answer is 2.",
      better: 1 as const,
      why: "gives the answer instead of a plan",
    };
    expect(judgeReply(s)).toBe("Response 1: a plan.\nResponse 2: gives the answer instead of a plan.\nVERDICT: 1");
  });
});

describe("judge items mined from the model's own wrong stages (tools/x1-shapes/items.ts minedJudgeItems)", () => {
  const item = makeItem("train", 5, sceneFor("train", 5), "count_colour", 0);

  it("pairs the reference stage with the wrong sample in both orders, the reference as the judge's check", () => {
    const wrong = `${item.stages.CAPTION.slice(0, -1)}, small red circle at top left.`;
    const items = minedJudgeItems(item, "CAPTION", wrong);
    expect(items.map((j) => [j.first === item.stages.CAPTION, j.second === item.stages.CAPTION, j.better])).toEqual([
      [true, false, 1],
      [false, true, 2],
    ]);
    for (const j of items) {
      expect(j).toMatchObject({
        stage: "CAPTION",
        context: { SUMMARY: item.stages.SUMMARY },
        reference: item.stages.CAPTION,
        why: "does not match the image",
      });
      const ex = judgeExample(item, j);
      expect(ex.prompt.user).toContain(`Response ${j.better === 1 ? 2 : 1}:\n${wrong}`);
      expect(parseVerdict(ex.completion).winner).toBe(j.better);
      // The wrong response is copied up to where it departs from the reference, and no further.
      expect(ex.completion).toContain(
        `Response ${j.better === 1 ? 2 : 1}: ${item.stages.CAPTION.slice(0, -1)}, -> not .: does not match the image.`,
      );
    }
    expect(minedJudgeItems(item, "REASONING", item.stages.REASONING)).toEqual([]);
  });
});
