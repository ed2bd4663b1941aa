import { describe, expect, it } from "vitest";
import { mulberry32, substream } from "../../tools/x1-shapes/prng";
import { renderStages } from "../../src/reasoning/parser";
import { lookupDrill } from "../../tools/x1-shapes/lookup";
import { lookupExample, makeItem, reorderedChoiceExamples, sceneFor } from "../../tools/x1-shapes/items";
import { optionsText } from "../../tools/x1-shapes/families";

describe("option-lookup drills (tools/x1-shapes/lookup.ts)", () => {
  const drills = Array.from(
    { length: 400 },
    (
      (rng) => () =>
        lookupDrill(rng)
    )(mulberry32(11)),
  );

  it("asks for one of four distinct options and answers with the letter that stands before it", () => {
    for (const d of drills) {
      expect(new Set(d.options).size).toBe(4);
      const value = d.options[d.target]!;
      const letter = "ABCD"[d.target]!;
      expect(d.question).toContain(value);
      expect(d.question.endsWith(optionsText(d.options))).toBe(true);
      expect(d.question).toContain(`(${letter}) ${value}`);
      expect(d.completion).toBe(`${value}. That is option (${letter}).`);
    }
  });

  it("spreads the answers over all four letters and over words and numbers", () => {
    const letters = new Map<number, number>();
    for (const d of drills) letters.set(d.target, (letters.get(d.target) ?? 0) + 1);
    for (let k = 0; k < 4; k++) expect(letters.get(k)!).toBeGreaterThan(70);
    const numeric = drills.filter((d) => /^\d+$/.test(d.options[0]!)).length;
    expect(numeric).toBeGreaterThan(80);
    expect(numeric).toBeLessThan(160);
    // Numbers are not always ascending, so the letter cannot be read off the value's size.
    expect(
      drills.some(
        (d) => /^\d+$/.test(d.options[0]!) && d.options.some((o, i) => i > 0 && Number(o) < Number(d.options[i - 1])),
      ),
    ).toBe(true);
  });

  it("is deterministic from the seed", () => {
    const again = Array.from(
      { length: 400 },
      (
        (rng) => () =>
          lookupDrill(rng)
      )(mulberry32(11)),
    );
    expect(again).toEqual(drills);
  });

  it("ends the way a multiple-choice REASONING over words or totals ends, in its question's option syntax", () => {
    let checked = 0;
    for (let i = 0; i < 60; i++) {
      const item = makeItem("train", i, sceneFor("train", i), "choice", 0);
      const base = (item.params as { base: { kind: string } }).base.kind;
      const m = /That is option \(([A-D])\)\.$/.exec(item.stages.REASONING);
      if (!m || !["attribute", "where", "corners"].includes(base)) continue; // counts end "… are left."
      checked++;
      const value = item.answer.slice(4);
      expect(item.stages.REASONING.endsWith(`${value}. That is option (${m[1]}).`)).toBe(true);
      expect(item.question).toContain(`(${m[1]}) ${value}`);
    }
    expect(checked).toBeGreaterThan(10);
    const e = lookupExample("train", 7, 2, drills[0]!);
    expect(e).toMatchObject({
      kind: "lookup",
      family: "choice",
      item: "train-7-lookup2",
      prompt: { user: drills[0]!.question, with_image: true },
    });
  });
});

describe("multiple-choice reasoning in the check format (--choice-format check)", () => {
  it("restates the value, copies the options in order up to the match, then names its letter", () => {
    let matched = 0;
    for (let i = 0; i < 40; i++) {
      const scene = sceneFor("train", i);
      const letter = makeItem("train", i, scene, "choice", 0);
      const check = makeItem("train", i, scene, "choice", 0, "check");
      // The same question and answer; only the reasoning's last part differs.
      expect(check.question).toBe(letter.question);
      expect(check.answer).toBe(letter.answer);
      const m = /Checking the options for (.+?): (.*)\. That is option \(([A-D])\)\.$/.exec(check.stages.REASONING);
      if (letter.answer === "none") continue;
      expect(m).not.toBeNull();
      matched++;
      const [, value, walk, picked] = m!;
      expect(`(${picked}) ${value}`).toBe(check.answer);
      const steps = walk!.split(", ");
      expect(steps.at(-1)).toBe(`(${picked}) ${value} yes`);
      for (const step of steps.slice(0, -1)) {
        expect(step.endsWith(" no")).toBe(true);
        expect(check.question).toContain(step.slice(0, -3));
      }
    }
    expect(matched).toBeGreaterThan(30);
  });
});

describe("multiple-choice items in other option orders (items.ts reorderedChoiceExamples)", () => {
  it("keeps the answer's text, moves only the options and the letter, and starts the loss at the letter", () => {
    let seen = 0;
    for (let i = 0; i < 30; i++) {
      const scene = sceneFor("train", i);
      const item = makeItem("train", i, scene, "choice", 0);
      const orders = reorderedChoiceExamples(item, scene, 3, substream(scene.seed, 310));
      if (!item.stages.REASONING.includes("That is option (")) {
        expect(orders).toEqual([]);
        continue;
      }
      expect(orders).toHaveLength(3);
      const value = item.answer.slice(4);
      const lists = new Set([item.question]);
      for (const e of orders) {
        seen++;
        expect(e.kind).toBe("lookup");
        const letter = e.completion[0]!;
        expect(e.prompt.user).toContain(`(${letter}) ${value}`);
        expect(e.prompt.user.split(" Options: ")[0]).toBe(item.question.split(" Options: ")[0]);
        expect(e.prompt.assistant_prefix.endsWith("That is option (")).toBe(true);
        expect(e.completion).toBe(`${letter}).</REASONING>\n<CONCLUSION>(${letter}) ${value}</CONCLUSION>`);
        // Everything the model wrote before the letter is the item's own answer, word for word.
        const own = renderStages(item.stages);
        expect(own.startsWith(e.prompt.assistant_prefix)).toBe(true);
        lists.add(e.prompt.user);
      }
      expect(lists.size).toBe(4); // three new orders, none the item's own
    }
    expect(seen).toBeGreaterThan(30);
  });

  it("adds nothing for other families", () => {
    const scene = sceneFor("train", 3);
    expect(reorderedChoiceExamples(makeItem("train", 3, scene, "count_colour", 0), scene, 3, mulberry32(1))).toEqual(
      [],
    );
  });
});
