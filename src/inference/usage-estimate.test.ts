import { describe, expect, it } from "vitest";
import { estimateTokens, sumUsage } from "./usage-estimate";

describe("usage estimates", () => {
  it("≈ 4 characters per token, rounded up, counting code points", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("abcd")).toBe(1);
    expect(estimateTokens("abcde")).toBe(2);
    expect(estimateTokens("😀😀😀😀")).toBe(1);
  });

  it("sums usage; unknown stays unknown; estimated is contagious", () => {
    expect(
      sumUsage([
        { input_tokens: 2, output_tokens: 3 },
        { input_tokens: 1, output_tokens: 1, estimated: true },
      ]),
    ).toEqual({ input_tokens: 3, output_tokens: 4, estimated: true });
    expect(sumUsage([{ input_tokens: 2 }, { input_tokens: 1, output_tokens: 1 }])).toEqual({ input_tokens: 3 });
    expect(sumUsage([])).toEqual({});
  });
});
