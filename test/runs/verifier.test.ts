/**
 * The `verifier` scorer through the API: each candidate of a stage scored in one batched verify
 * call, the best kept, scores in the trace and verify tokens in usage; a clear 400 where no model
 * can verify. (The scorer's planning is tested in the pure core; the OpenAI verifier on recorded
 * responses in test/inference/openai-verify.test.ts.)
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { getModelInfo, verifierProblem } from "../../src/inference/registry";
import type { RunView } from "../../src/runs/contract";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { deterministicRespond } from "../helpers/runs";
import { createRun } from "../platform/helpers";

// Scores a candidate by the number in its text, so the expected winner is known.
const model = new ScriptedModel({
  id: "mock:verifying",
  respond: deterministicRespond,
  verify: (r) => (Number(/draft (\d+)/.exec(r.candidate)?.[1] ?? "0") % 97) / 97,
});
testBackends.set("mock:verifying", model);

describe("the verifier scorer", () => {
  it("scores each stage's candidates in one verify call and keeps the best", async () => {
    const k = await createTestKey({ name: "verifier" });
    const res = await createRun(
      k.key,
      {
        model: "mock:verifying",
        search: { strategy: "stage_beam", candidates: 3, scorer: "verifier" },
        sampling: { seed: 4 },
      },
      { Prefer: "wait=30" },
    );
    const view = (await res.json()) as RunView;
    expect(view.status, JSON.stringify(view.error)).toBe("succeeded");
    expect(view.trace.scorer).toBe("verifier");
    for (const stage of view.trace.stages) {
      const scores = new Map(stage.verifications.map((v) => [v.candidate, v.score]));
      expect(scores.size).toBeGreaterThan(0);
      const best = [...scores].sort((a, b) => (b[1] ?? -1) - (a[1] ?? -1))[0]?.[0];
      expect(stage.selected[0]).toBe(best);
      expect(stage.matches).toEqual([]);
    }
    // One verify call per stage, every candidate of it together.
    const calls = model.verifyCalls.filter((c) => c.requests[0]?.question === view.question);
    expect(calls.length).toBe(4);
    expect(view.usage.judge_input_tokens).toBeGreaterThan(0);
  });

  it("a model that cannot verify, with no VERIFIER_MODEL, is a 400 that says what to set", async () => {
    const k = await createTestKey({ name: "no verifier" });
    await expectError(
      await createRun(k.key, { model: "mock:fixed", search: { scorer: "verifier" } }),
      400,
      /scorer "verifier": "mock:fixed" cannot verify candidates and no VERIFIER_MODEL is set/,
      { param: "search.scorer", code: "capability_missing" },
    );
  });

  it("VERIFIER_MODEL: a model that can verify, or a reason why not", () => {
    const fixed = getModelInfo(env, "mock:fixed");
    if (!fixed) throw new Error("mock:fixed is served in the tests");
    expect(verifierProblem({ ...env, VERIFIER_MODEL: "mock:verifying" }, fixed)).toBeNull();
    expect(verifierProblem({ ...env, VERIFIER_MODEL: "nope:x" }, fixed)).toMatch(/VERIFIER_MODEL "nope:x"/);
    expect(verifierProblem({ ...env, VERIFIER_MODEL: "mock:fixed" }, fixed)).toMatch(/cannot verify/);
  });
});
