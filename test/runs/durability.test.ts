import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import { stepSeed } from "../../src/reasoning/seeds";
import { afterCommitHooks } from "../../src/runs/test-hooks";
import type { ReasoningRun } from "../../src/runs/reasoning-run";
import { deterministicRespond, makeSpec, newRun, waitTerminal, withoutTimings } from "../helpers/runs";

/** Each run gets its own model instance (to count its calls) under one backend id, as in production. */
function register(name: string): ScriptedModel {
  const model = new ScriptedModel({ id: "mock:durable", respond: deterministicRespond });
  testBackends.set(name, model);
  return model;
}

/** How many backend calls each seed was asked for (each step has its own derived seed). */
function callsBySeed(model: ScriptedModel): Map<number, number> {
  const counts = new Map<number, number>();
  for (const call of model.calls) for (const s of call.seeds) counts.set(s, (counts.get(s) ?? 0) + 1);
  return counts;
}

async function committedStepIds(stub: DurableObjectStub<ReasoningRun>): Promise<string[]> {
  return runInDurableObject(stub, (_obj, state) =>
    state.storage.sql
      .exec<{ id: string }>("SELECT id FROM step")
      .toArray()
      .map((r) => r.id),
  );
}

function freshStub(runId: string): DurableObjectStub<ReasoningRun> {
  return env.RUNS.get(env.RUNS.idFromString(runId.slice("run_".length)));
}

// The second spec judges every match in both orders: a crash between a match's two replies must
// resume with the one committed reply kept and only the other asked for.
const specs = [
  { label: "", tag: "", spec: makeSpec({ candidates: 4 }, 1234) },
  { label: " (judge in both orders)", tag: "x2-", spec: makeSpec({ candidates: 2, judge_orders: 2 }, 4321) },
];

describe.each(specs)("a run interrupted after any step$label", async ({ tag, spec }) => {
  const baselineModel = register(`mock:durable-${tag}baseline`);
  const base = newRun(`mock:durable-${tag}baseline`, spec);
  await base.stub.create(base.input);
  const baseline = await waitTerminal(base.stub);
  const totalSteps = baseline.progress.steps_done;

  it("completes uninterrupted first (the reference)", () => {
    expect(baseline.status).toBe("succeeded");
    expect(baseline.answer).toBeTruthy();
    expect(totalSteps).toBeGreaterThan(20);
    const judged =
      baseline.trace?.stages
        .flatMap((st) => st.matches)
        .filter((m) => m.decided_by === "judge" || m.decided_by === "fallback") ?? [];
    expect(judged.length).toBeGreaterThan(0);
    // Both orders: every judged match carries its swapped reply; one order: none does.
    expect(judged.every((m) => (m.raw_swapped !== undefined) === (spec.search.judge_orders === 2))).toBe(true);
    // Every seed (= every model step) was asked once.
    expect([...callsBySeed(baselineModel).values()].every((c) => c === 1)).toBe(true);
  });

  // Crash right after the k-th commit, evict the object, resume from storage.
  const points = Array.from({ length: totalSteps - 1 }, (_, i) => i + 1);
  it.each(points)("after commit %i: same answer and trace, no committed step re-run", async (k) => {
    const name = `mock:durable-${tag}${k}`;
    const model = register(name);
    const run = newRun(name, spec);
    let commits = 0;
    afterCommitHooks.set(run.runId, () => {
      commits += 1;
      if (commits === k) throw new Error(`simulated crash after commit ${k}`);
    });
    await run.stub.create(run.input);
    // Poll (a promise resolved inside the object would carry its I/O context into the test).
    while (commits < k) await new Promise((r) => setTimeout(r, 2));
    const committedBeforeEviction = await committedStepIds(run.stub);
    expect(committedBeforeEviction.length).toBeGreaterThanOrEqual(k);
    expect(committedBeforeEviction.length).toBeLessThan(totalSteps); // the crash really cut the run short
    // Evict: the instance and its memory are gone; storage stays.
    await runInDurableObject(run.stub, (_obj, state) => state.abort("evicted by test")).catch(() => {});
    afterCommitHooks.delete(run.runId);
    const stub = freshStub(run.runId); // a stub to an aborted object is broken: get a new one
    await runDurableObjectAlarm(stub);
    const view = await waitTerminal(stub);

    expect(view.status).toBe("succeeded");
    expect(view.answer).toBe(baseline.answer);
    expect(view.stages).toEqual(baseline.stages);
    expect(withoutTimings(view.trace)).toEqual(withoutTimings(baseline.trace));
    const counts = callsBySeed(model);
    for (const id of committedBeforeEviction) {
      const seed = stepSeed(spec.sampling.seed, id);
      if (id.endsWith("/select") || counts.get(seed) === undefined) continue; // local steps call no backend
      expect(counts.get(seed), `step ${id} ran again after it had committed`).toBe(1);
    }
  });

  it("keeps committed steps across an eviction between alarms", async () => {
    const name = `mock:durable-${tag}evict`;
    const model = register(name);
    const run = newRun(name, spec);
    await run.stub.create(run.input);
    const view = await waitTerminal(run.stub);
    const callsBefore = model.calls.length;
    await runInDurableObject(run.stub, (_obj, state) => state.abort("evicted")).catch(() => {});
    const stub = freshStub(run.runId);
    await runDurableObjectAlarm(stub); // a stray alarm after the end must do nothing
    const after = await stub.view();
    expect(after?.status).toBe("succeeded");
    expect(after?.answer).toBe(view.answer);
    expect(after?.progress.steps_done).toBe(view.progress.steps_done);
    expect(model.calls.length).toBe(callsBefore);
  });
});
