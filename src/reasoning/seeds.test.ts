import { describe, expect, it } from "vitest";
import { mulberry32, seededShuffle, stepSeed } from "./seeds";

describe("stepSeed", () => {
  it("depends only on the run seed and the step id", () => {
    expect(stepSeed(42, "CAPTION/gen/0.1")).toBe(stepSeed(42, "CAPTION/gen/0.1"));
    expect(stepSeed(42, "CAPTION/gen/0.1")).not.toBe(stepSeed(43, "CAPTION/gen/0.1"));
    expect(stepSeed(42, "CAPTION/gen/0.1")).not.toBe(stepSeed(42, "CAPTION/gen/0.2"));
  });

  it("is a uint32 and spreads similar ids", () => {
    const seeds = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const s = stepSeed(7, `SUMMARY/gen/0.${i}`);
      expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
      seeds.add(s);
    }
    expect(seeds.size).toBe(1000);
  });
});

describe("mulberry32 and seededShuffle", () => {
  it("replays the same sequence for the same seed", () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it("shuffles deterministically without losing items", () => {
    const items = ["a", "b", "c", "d", "e", "f"];
    expect(seededShuffle(items, 9)).toEqual(seededShuffle(items, 9));
    expect([...seededShuffle(items, 9)].sort()).toEqual(items);
    const orders = new Set(Array.from({ length: 20 }, (_, s) => seededShuffle(items, s).join("")));
    expect(orders.size).toBeGreaterThan(10);
  });
});
