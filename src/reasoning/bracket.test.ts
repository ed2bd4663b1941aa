import { describe, expect, it } from "vitest";
import { bracketShape, pairRound, playBracket, rankBracket, seedBracket } from "./bracket";

const ids = (m: number): string[] => Array.from({ length: m }, (_, i) => `c${i}`);

describe("bracket", () => {
  it.each([
    [1, []],
    [2, [1]],
    [3, [1, 1]],
    [4, [2, 1]],
    [5, [2, 1, 1]],
    [8, [4, 2, 1]],
    [10, [5, 2, 1, 1]],
  ])("M=%i has M−1 matches in ⌈log₂M⌉ rounds: %j", (m, shape) => {
    expect(bracketShape(m)).toEqual(shape);
    const state = playBracket(ids(m), (match) => match.first);
    expect(state.rounds.map((r) => r.matches.length)).toEqual(shape);
    expect(state.rounds.flatMap((r) => r.matches)).toHaveLength(Math.max(0, m - 1));
    expect(state.rounds).toHaveLength(m <= 1 ? 0 : Math.ceil(Math.log2(m)));
    expect(state.champion).toBe(m === 0 ? undefined : state.champion);
  });

  it("pairs in order and gives the odd one a bye, placed first next round", () => {
    expect(pairRound(1, ["a", "b", "c"])).toEqual({
      round: 1,
      matches: [{ round: 1, index: 0, first: "a", second: "b" }],
      bye: "c",
    });
    const state = playBracket(["a", "b", "c", "d", "e"], (m) => m.second);
    expect(state.rounds[1]?.matches[0]).toMatchObject({ first: "e", second: "b" });
    expect(state.champion).toBe("b");
  });

  it("stops at the first undecided round and lists its pending matches", () => {
    const state = playBracket(ids(4), (m) => (m.index === 0 ? m.first : undefined));
    expect(state.rounds).toHaveLength(1);
    expect(state.pending.map((m) => m.index)).toEqual([1]);
    expect(state.champion).toBeUndefined();
  });

  it("ranks by elimination round, then logprob, then seed order", () => {
    // c0 beats c1, c2 beats c3, c0 beats c2: c0, c2, then c1/c3 (round-1 losers) by logprob.
    const state = playBracket(ids(4), (m) => m.first);
    const logprobs: Record<string, number | null> = { c1: -2, c3: -1 };
    expect(rankBracket(state, (id) => logprobs[id] ?? null)).toEqual(["c0", "c2", "c3", "c1"]);
    expect(rankBracket(state, () => null)).toEqual(["c0", "c2", "c1", "c3"]);
  });

  it("seeds deterministically", () => {
    expect(seedBracket(ids(8), 1)).toEqual(seedBracket(ids(8), 1));
    expect(seedBracket(ids(8), 1)).not.toEqual(seedBracket(ids(8), 2));
  });
});
