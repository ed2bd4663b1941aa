import { describe, expect, it } from "vitest";
import { createRunSchema, toRunSpec } from "./schemas";
import { apiErrorMap } from "../zod-messages";

const parse = (body: unknown) => createRunSchema.parse(body, { error: apiErrorMap });

describe("createRunSchema defaults", () => {
  it("fills search, sampling and limits from the reference values", () => {
    const body = parse({ question: "  How many?  " });
    expect(body.question).toBe("How many?");
    // The scorer is left to the model's default (toRunSpec).
    expect(body.search).toEqual({ strategy: "stage_beam", candidates: 4, keep: 1, judge_orders: 1 });
    expect(body.sampling).toEqual({ temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 512 });
    expect(body.limits).toEqual({ deadline_seconds: 300 });
  });

  it("skips keep ≤ candidates outside stage_beam", () => {
    expect(parse({ question: "q", search: { strategy: "best_of_n", candidates: 2, keep: 3 } }).search.keep).toBe(3);
    expect(() => parse({ question: "q", search: { candidates: 2, keep: 3 } })).toThrow(/keep/);
    expect(() => parse({ question: "q", search: { keep: 2, stages: { CAPTION: { candidates: 1 } } } })).toThrow(
      /must be at least keep \(2\)/,
    );
  });
});

describe("toRunSpec", () => {
  it("maps the body and picks a seed only when none was given", () => {
    const spec = toRunSpec(parse({ question: "q", sampling: { seed: 9 } }), true, () => 1);
    expect(spec).toEqual({
      question: "q",
      has_image: true,
      search: { strategy: "stage_beam", candidates: 4, keep: 1, scorer: "judge" },
      sampling: { temperature: 0.6, top_p: 0.9, max_tokens_per_stage: 512, seed: 9 },
    });
    expect(toRunSpec(parse({ question: "q" }), false, () => 123).sampling.seed).toBe(123);
    const random = toRunSpec(parse({ question: "q" }), false).sampling.seed;
    expect(Number.isInteger(random) && random >= 0 && random < 2 ** 32).toBe(true);
  });

  it("writes judge_orders into the spec only when it is 2 (a default request keeps its old spec)", () => {
    expect(toRunSpec(parse({ question: "q", search: { judge_orders: 1 } }), false, () => 1).search).toEqual({
      strategy: "stage_beam",
      candidates: 4,
      keep: 1,
      scorer: "judge",
    });
    expect(toRunSpec(parse({ question: "q", search: { judge_orders: 2 } }), false, () => 1).search).toMatchObject({
      judge_orders: 2,
    });
    expect(
      toRunSpec(parse({ question: "q", search: { strategy: "greedy", judge_orders: 2 } }), false, () => 1).search
        .judge_orders,
    ).toBeUndefined();
    expect(() => parse({ question: "q", search: { judge_orders: 0 } })).toThrow(/must be 1 or 2/);
  });

  it("a request that names no scorer gets its model's default; one that names it keeps it", () => {
    expect(toRunSpec(parse({ question: "q" }), false, () => 1, "logprob").search.scorer).toBe("logprob");
    expect(
      toRunSpec(parse({ question: "q", search: { scorer: "vote" } }), false, () => 1, "logprob").search.scorer,
    ).toBe("vote");
    expect(toRunSpec(parse({ question: "q" }), false, () => 1).search.scorer).toBe("judge");
  });

  it("greedy uses one candidate per stage and drops per-stage candidate counts", () => {
    const spec = toRunSpec(
      parse({
        question: "q",
        search: {
          strategy: "greedy",
          candidates: 8,
          keep: 2,
          stages: { CAPTION: { candidates: 6, max_tokens: 64 }, SUMMARY: { candidates: 3 } },
        },
      }),
      false,
    );
    expect(spec.search).toEqual({
      strategy: "greedy",
      candidates: 1,
      keep: 1,
      scorer: "judge",
      stages: { CAPTION: { max_tokens: 64 } },
    });
  });

  it("keeps stage overrides for stage_beam", () => {
    const spec = toRunSpec(
      parse({ question: "q", search: { stages: { CONCLUSION: { scorer: "vote", temperature: 0 } } } }),
      false,
    );
    expect(spec.search.stages).toEqual({ CONCLUSION: { scorer: "vote", temperature: 0 } });
  });
});
