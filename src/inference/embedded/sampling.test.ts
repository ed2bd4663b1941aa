import { describe, expect, it } from "vitest";
import { logSumExp, sampleToken, seededRandom } from "./sampling";

const logits = Float32Array.from([1, 3, 2, -5, 2.5]);

describe("token sampling", () => {
  it("is greedy at temperature 0 and with a vanishing top-p", () => {
    expect(sampleToken(logits, 0, 0.9, seededRandom(1))).toBe(1);
    expect(sampleToken(logits, 1, 1e-9, seededRandom(1))).toBe(1);
  });

  it("depends on the seed only, and keeps to the nucleus", () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, 1, 0.8, r));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    // softmax ≈ [.064, .474, .174, .000, .287]: the 0.8 nucleus is {1, 4, 2}.
    expect(new Set([...draw(1), ...draw(2), ...draw(3)])).toEqual(new Set([1, 4, 2]));
  });

  it("reports log-probabilities of the model's own distribution", () => {
    const lse = logSumExp(logits);
    const total = Array.from(logits).reduce((s, v) => s + Math.exp(v - lse), 0);
    expect(total).toBeCloseTo(1, 6);
  });
});
