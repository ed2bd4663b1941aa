/**
 * Forks (POST /v1/runs/{id}/fork) and the result cache (`cache: "reuse"`), end to end through the
 * API: what is reused is never sent to a model again nor billed again (ledger rows checked), and
 * both stay within the key that owns the source run.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/inference/backend";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { modelVersion } from "../../src/inference/model-version";
import type { RunView } from "../../src/runs/contract";
import { expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { deterministicRespond, stageOf } from "../helpers/runs";
import { call, createRun, ledgerRows, waitForLedger } from "../platform/helpers";

const model = new ScriptedModel({ id: "mock:lineage", respond: deterministicRespond });
testBackends.set("mock:lineage", model);
const slow = new ScriptedModel({ id: "mock:lineage-slow", respond: deterministicRespond, latencyMs: 400 });
testBackends.set("mock:lineage-slow", slow);

// Fails every CONCLUSION call for good (a 401 is not retried): its runs fail in the last stage.
const broken = new ScriptedModel({
  id: "mock:lineage-broken",
  respond(opts) {
    if (opts.purpose === "generate" && stageOf(opts) === "CONCLUSION")
      throw new BackendError("invalid API key (401)", false, 401);
    return deterministicRespond(opts);
  },
});
testBackends.set("mock:lineage-broken", broken);

const SEARCH = { strategy: "stage_beam", candidates: 2, scorer: "judge" };
const WAIT = { Prefer: "wait=30" };

async function run(key: string, body: Record<string, unknown>): Promise<RunView> {
  const res = await createRun(key, { model: "mock:lineage", search: SEARCH, ...body }, WAIT);
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

function fork(key: string, parent: string, body: Record<string, unknown>, headers: Record<string, string> = WAIT) {
  return call(`/v1/runs/${parent}/fork`, key, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Generate calls the model received since `from`, by stage. */
const generatedStages = (from: number): string[] =>
  model.calls.slice(from).flatMap((c) => (c.purpose === "generate" ? [stageOf(c)] : []));

describe("forks", () => {
  it("takes the parent's stages before `from` as given: no call and no bill for them", async () => {
    const k = await createTestKey({ name: "forks" });
    const parent = await run(k.key, { sampling: { seed: 21 } });
    expect(parent.status).toBe("succeeded");
    const parentLedger = await waitForLedger(parent.id);

    const before = model.calls.length;
    const res = await fork(k.key, parent.id, { from: "REASONING", search: { ...SEARCH, scorer: "vote" } });
    expect(res.status, await res.clone().text()).toBe(200);
    const child = (await res.json()) as RunView;
    expect(child.status).toBe("succeeded");
    expect(new Set(generatedStages(before))).toEqual(new Set(["REASONING", "CONCLUSION"]));
    expect(child.forked_from).toEqual({ run_id: parent.id, from: "REASONING" });
    expect(child.cached_from).toBeNull();
    expect(child.stages.SUMMARY).toBe(parent.stages.SUMMARY);
    expect(child.stages.CAPTION).toBe(parent.stages.CAPTION);
    expect(child.trace.given).toEqual({ SUMMARY: parent.stages.SUMMARY, CAPTION: parent.stages.CAPTION });
    expect(child.trace.stages.map((s) => s.stage)).toEqual(["REASONING", "CONCLUSION"]);
    expect(child.sampling.seed).toBe(21); // the parent's seed, since the fork did not change it
    expect(child.question).toBe(parent.question);

    // What the reused stages cost the parent is shown, and billed to nobody again.
    const parentStageTokens = parent.trace.stages
      .filter((s) => s.stage === "SUMMARY" || s.stage === "CAPTION")
      .flatMap((s) => s.candidates)
      .reduce((sum, c) => sum + (c.usage.input_tokens ?? 0), 0);
    expect(child.usage.reused?.stages).toEqual(["SUMMARY", "CAPTION"]);
    expect(child.usage.reused?.run_id).toBe(parent.id);
    expect(child.usage.reused?.usage.input_tokens).toBe(parentStageTokens);
    const childLedger = await waitForLedger(child.id);
    expect(childLedger.input_tokens).toBe(child.usage.input_tokens);
    expect(childLedger.cost_usd).toBeCloseTo(child.usage.cost_usd ?? -1, 12);
    expect(childLedger.input_tokens ?? 0).toBeLessThan(parentLedger.input_tokens ?? 0);
    // Parent and child link both ways.
    const parentNow = (await (await call(`/v1/runs/${parent.id}`, k.key)).json()) as RunView;
    expect(parentNow.forks).toEqual([{ run_id: child.id, from: "REASONING" }]);
    expect(child.forks).toEqual([]);
    // The parent's row is unchanged: nothing was billed to it twice either.
    expect((await ledgerRows({ run_id: parent.id }))[0]?.cost_usd).toBe(parentLedger.cost_usd);
  });

  it("with the parent's search and seed, a fork reproduces the parent's answer", async () => {
    const k = await createTestKey({ name: "fork replay" });
    const parent = await run(k.key, { sampling: { seed: 5 } });
    const child = (await (await fork(k.key, parent.id, { from: "CAPTION" })).json()) as RunView;
    expect(child.status).toBe("succeeded");
    expect(child.text).toBe(parent.text);
    expect(child.search).toEqual(parent.search);
  });

  it("a fork from SUMMARY takes nothing as given; any other key sees no parent", async () => {
    const k = await createTestKey({ name: "fork owner" });
    const other = await createTestKey({ name: "fork stranger" });
    const parent = await run(k.key, { sampling: { seed: 8 } });
    await expectError(await fork(other.key, parent.id, { from: "CAPTION" }), 404, /no run with id/);
    await expectError(await fork(k.key, `run_${"0".repeat(64)}`, { from: "CAPTION" }), 404, /./);
    const whole = (await (
      await fork(k.key, parent.id, { from: "SUMMARY", search: { strategy: "greedy" } })
    ).json()) as RunView;
    expect(whole.status).toBe("succeeded");
    expect(whole.trace.given).toBeUndefined();
    expect(whole.usage.reused?.stages).toEqual([]);
  });

  it("resumes a run that failed in its last stage: a fork from CONCLUSION keeps the three it paid for", async () => {
    const k = await createTestKey({ name: "fork resume" });
    const failed = (await (
      await createRun(k.key, { model: "mock:lineage-broken", search: SEARCH, sampling: { seed: 13 } }, WAIT)
    ).json()) as RunView;
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("backend_rejected");
    const before = model.calls.length;
    const res = await fork(k.key, failed.id, { from: "CONCLUSION", model: "mock:lineage" });
    const child = (await res.json()) as RunView;
    expect(child.status).toBe("succeeded");
    expect(new Set(generatedStages(before))).toEqual(new Set(["CONCLUSION"])); // one batched call for its N
    expect(Object.keys(child.trace.given ?? {})).toEqual(["SUMMARY", "CAPTION", "REASONING"]);
    expect(child.usage.reused?.stages).toEqual(["SUMMARY", "CAPTION", "REASONING"]);
    expect(child.usage.reused?.usage.model_steps).toBeGreaterThan(0);
  });

  it("refuses what it cannot do, by name, and creates nothing", async () => {
    const k = await createTestKey({ name: "fork errors" });
    const parent = await run(k.key, { sampling: { seed: 9 } });
    await expectError(await fork(k.key, parent.id, { from: "ANSWER" }), 400, /from/, { code: "invalid_parameter" });
    await expectError(await fork(k.key, parent.id, { from: "CAPTION", colour: "red" }), 400, /colour/);
    await expectError(
      await fork(k.key, parent.id, { from: "REASONING", search: { strategy: "best_of_n" } }),
      400,
      /stage by stage/,
      { code: "fork_strategy_unsupported" },
    );
    await expectError(
      await fork(k.key, parent.id, { from: "CAPTION", search: { candidates: 99 } }),
      400,
      /candidates.*limit/,
    );
    // A parent still at work has accepted nothing yet: 409, saying from where a fork can start.
    const running = (await (
      await createRun(k.key, { model: "mock:lineage-slow", search: SEARCH, sampling: { seed: 3 } })
    ).json()) as { id: string };
    await expectError(await fork(k.key, running.id, { from: "CONCLUSION" }, {}), 409, /has not accepted SUMMARY/, {
      code: "stage_not_committed",
    });
    const listed = (await (await call("/v1/runs?limit=100", k.key)).json()) as { data: { id: string }[] };
    expect(listed.data).toHaveLength(2); // the two parents, no fork
  });
});

describe("result cache", () => {
  it("a hit returns the earlier run's result as a new run, with no model call and no tokens billed", async () => {
    const k = await createTestKey({ name: "cache" });
    const first = await run(k.key, { sampling: { seed: 77 }, cache: "reuse" });
    expect(first.status).toBe("succeeded");
    expect(first.cached_from).toBeNull(); // nothing to reuse yet: it ran
    await waitForLedger(first.id);

    const before = model.calls.length;
    const res = await createRun(k.key, {
      model: "mock:lineage",
      search: SEARCH,
      sampling: { seed: 77 },
      cache: "reuse",
    });
    expect(res.status).toBe(200); // finished at once: no Prefer: wait needed
    const hit = (await res.json()) as RunView;
    expect(model.calls.length).toBe(before);
    expect(hit.id).not.toBe(first.id);
    expect(hit.status).toBe("succeeded");
    expect(hit.cached_from).toBe(first.id);
    expect(hit.text).toBe(first.text);
    expect(hit.stages).toEqual(first.stages);
    expect(hit.usage).toMatchObject({ input_tokens: 0, output_tokens: 0, model_steps: 0, cost_usd: 0 });
    expect(hit.usage.reused?.usage.input_tokens).toBe(first.usage.input_tokens);
    expect(hit.usage.reused?.stages).toEqual(["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]);
    const row = await waitForLedger(hit.id);
    expect(row).toMatchObject({ status: "succeeded", input_tokens: 0, output_tokens: 0, cost_usd: 0 });
  });

  it("misses on any difference of content, across keys, and without cache: reuse", async () => {
    const k = await createTestKey({ name: "cache misses" });
    const other = await createTestKey({ name: "cache other key" });
    const first = await run(k.key, { sampling: { seed: 41 } });
    await waitForLedger(first.id);
    const misses = [
      await run(k.key, { sampling: { seed: 42 }, cache: "reuse" }),
      await run(k.key, { sampling: { seed: 41 }, cache: "reuse", question: "How many blue squares are there?" }),
      await run(k.key, { sampling: { seed: 41 }, cache: "reuse", search: { ...SEARCH, candidates: 3 } }),
      await run(other.key, { sampling: { seed: 41 }, cache: "reuse" }),
      await run(k.key, { sampling: { seed: 41 } }),
    ];
    for (const m of misses) {
      expect(m.cached_from).toBeNull();
      expect(m.usage.model_steps).toBeGreaterThan(0);
    }
    const hit = await run(k.key, { sampling: { seed: 41 }, cache: "reuse" });
    expect([first.id, misses[4]?.id]).toContain(hit.cached_from);
  });

  it("needs an explicit seed, except for greedy runs", async () => {
    const k = await createTestKey({ name: "cache seeds" });
    await expectError(await createRun(k.key, { model: "mock:lineage", cache: "reuse" }), 400, /needs sampling\.seed/, {
      code: "cache_needs_seed",
    });
    const greedy = { search: { strategy: "greedy" }, cache: "reuse" };
    const first = await run(k.key, greedy);
    await waitForLedger(first.id);
    const again = await run(k.key, greedy);
    expect(again.cached_from).toBe(first.id);
  });

  it("a model's version is part of the content: the embedded model's comes from its manifest", async () => {
    const embedded = await modelVersion(env, "embedded:x1-shapes-tiny");
    expect(embedded).toMatch(/^embedded:x1-shapes-tiny@\d+\.\d+\.\d+/);
    expect(await modelVersion({ ...env, CACHE_VERSION: "2" }, "embedded:x1-shapes-tiny")).toBe(`${embedded}#2`);
    expect(await modelVersion(env, "mock:lineage")).toBe("mock:lineage");
  });
});
