import { describe, expect, it } from "vitest";
import { OwnCache } from "./own-cache";

/** The values a step returns for `rows` rows of width `w` in one tensor: row r, element j -> base + r * 10 + j. */
const step = (rows: number, w: number, base: number): Float32Array =>
  Float32Array.from({ length: rows * w }, (_, i) => base + Math.floor(i / w) * 10 + (i % w));

describe("OwnCache (the candidates' own keys and values, token-major)", () => {
  it("starts with the zero placeholder slot only and appends a step as the next slot", () => {
    const c = new OwnCache(2, 3, 2, 4);
    expect(c.slots).toBe(1);
    expect([...c.view(0)]).toEqual([0, 0, 0, 0, 0, 0]);
    c.append([step(3, 2, 100), step(3, 2, 200)]);
    expect(c.slots).toBe(2);
    expect([...c.view(0)]).toEqual([0, 0, 0, 0, 0, 0, 100, 101, 110, 111, 120, 121]);
    expect([...c.view(1).subarray(6)]).toEqual([200, 201, 210, 211, 220, 221]);
  });

  it("grows past its capacity without losing a slot", () => {
    const c = new OwnCache(1, 2, 1, 1);
    for (let t = 1; t <= 9; t++) c.append([step(2, 1, t * 100)]);
    expect(c.slots).toBe(10);
    expect([...c.view(0)]).toEqual([
      0,
      0,
      ...Array.from({ length: 9 }, (_, k) => [(k + 1) * 100, (k + 1) * 100 + 10]).flat(),
    ]);
  });

  it("keeps the chosen rows of every slot, in the order given", () => {
    const c = new OwnCache(1, 3, 2, 2);
    c.append([step(3, 2, 100)]);
    c.append([step(3, 2, 200)]);
    const kept = c.keepRows([2, 0]);
    expect(kept.rows).toBe(2);
    expect(kept.slots).toBe(3);
    expect([...kept.view(0)]).toEqual([0, 0, 0, 0, 120, 121, 100, 101, 220, 221, 200, 201]);
    kept.append([step(2, 2, 300)]);
    expect([...kept.view(0).subarray(12)]).toEqual([300, 301, 310, 311]);
  });

  it("gives the graph's key_valid with its placeholder slot masked, after the prefix", () => {
    const c = new OwnCache(1, 2, 1, 4);
    c.append([step(2, 1, 100)]);
    expect([...c.keyValid(3, 1)]).toEqual([1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1]);
  });

  it("rejects a step with the wrong number of values", () => {
    const c = new OwnCache(1, 2, 4, 2);
    expect(() => c.append([new Float32Array(4)])).toThrow(/4 new cache values for 2 rows; expected 8/);
  });
});
