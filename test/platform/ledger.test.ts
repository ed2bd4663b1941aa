/**
 * The usage ledger gets exactly one row per finished run — also when the run's object crashes
 * between writing the row and marking it written, and when it restarts after the end.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ScriptedModel, testBackends } from "../../src/inference/mock-model";
import type { RunView } from "../../src/runs/contract";
import type { ReasoningRun } from "../../src/runs/reasoning-run";
import { afterDeliveryHooks } from "../../src/runs/test-hooks";
import { createTestKey } from "../helpers/admin";
import { deterministicRespond } from "../helpers/runs";
import { call, createRun, ledgerRows, waitForLedger } from "./helpers";

testBackends.set("mock:ledger", new ScriptedModel({ id: "mock:ledger", respond: deterministicRespond, latencyMs: 30 }));

const stubOf = (runId: string): DurableObjectStub<ReasoningRun> =>
  env.RUNS.get(env.RUNS.idFromString(runId.slice("run_".length)));

async function outboxState(runId: string): Promise<{ state: string; attempts: number } | undefined> {
  return runInDurableObject(
    stubOf(runId),
    (_obj, state) =>
      state.storage.sql
        .exec<{ state: string; attempts: number }>(`SELECT state, attempts FROM outbox WHERE kind = 'ledger'`)
        .toArray()[0],
  );
}

async function evict(runId: string): Promise<void> {
  await runInDurableObject(stubOf(runId), (_obj, state) => state.abort("evicted by test")).catch(() => {});
}

async function waitView(key: string, runId: string): Promise<RunView> {
  const res = await call(`/v1/runs/${runId}`, key, { headers: { Prefer: "wait=30" } });
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

describe("usage ledger", () => {
  it("a finished run is recorded once, with the usage and cost its view shows", async () => {
    const k = await createTestKey({ name: "ledger" });
    const res = await createRun(k.key, { model: "mock:ledger", search: { candidates: 2 } }, { Prefer: "wait=30" });
    const view = (await res.json()) as RunView;
    expect(view.status).toBe("succeeded");
    const row = await waitForLedger(view.id);
    expect(row).toMatchObject({
      run_id: view.id,
      key_id: k.id,
      model: "mock:ledger",
      status: "succeeded",
      day: view.timings.finished_at?.slice(0, 10),
      input_tokens: view.usage.input_tokens,
      output_tokens: view.usage.output_tokens,
      judge_input_tokens: view.usage.judge_input_tokens,
      judge_output_tokens: view.usage.judge_output_tokens,
      backend_ms: view.usage.backend_ms,
      estimated: 0,
    });
    expect(view.usage.cost_usd).toBeGreaterThan(0);
    expect(row.cost_usd).toBeCloseTo(view.usage.cost_usd ?? -1, 12);

    // A restart after the end, and a stray alarm, write nothing more.
    await evict(view.id);
    await runDurableObjectAlarm(stubOf(view.id));
    expect(await ledgerRows({ run_id: view.id })).toHaveLength(1);
    expect(await outboxState(view.id)).toEqual({ state: "delivered", attempts: 1 });
  });

  it("a crash after the ledger insert and before it is marked: after the restart, still exactly one row", async () => {
    const k = await createTestKey({ name: "ledger crash" });
    const res = await createRun(k.key, { model: "mock:ledger", search: { candidates: 2 } });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let crashes = 0;
    afterDeliveryHooks.set(id, (row) => {
      if (row.kind === "ledger" && crashes === 0) {
        crashes += 1;
        throw new Error("simulated crash after the ledger insert");
      }
    });
    try {
      const until = Date.now() + 20_000;
      while (crashes === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(crashes).toBe(1);
      // The row went in, but the outbox does not know it yet.
      expect(await ledgerRows({ run_id: id })).toHaveLength(1);
      await evict(id);
      await runDurableObjectAlarm(stubOf(id));
      const until2 = Date.now() + 10_000;
      while ((await outboxState(id))?.state !== "delivered" && Date.now() < until2) {
        await runDurableObjectAlarm(stubOf(id));
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await outboxState(id))?.state).toBe("delivered");
      expect(await ledgerRows({ run_id: id })).toHaveLength(1);
    } finally {
      afterDeliveryHooks.delete(id);
    }
    const view = await waitView(k.key, id);
    expect(view.status).toBe("succeeded");
    const usage = (await (await call("/v1/usage", k.key)).json()) as { total: { runs: number; cost_usd: number } };
    expect(usage.total.runs).toBe(1);
    expect(usage.total.cost_usd).toBeCloseTo(view.usage.cost_usd ?? -1, 12);
  });

  it("a canceled run is recorded too", async () => {
    const k = await createTestKey({ name: "ledger cancel" });
    const res = await createRun(k.key, { model: "mock:ledger", search: { candidates: 4 } });
    const { id } = (await res.json()) as { id: string };
    const canceled = (await (await call(`/v1/runs/${id}/cancel`, k.key, { method: "POST" })).json()) as RunView;
    expect(canceled.status).toBe("canceled");
    const row = await waitForLedger(id);
    expect(row).toMatchObject({ key_id: k.id, status: "canceled" });
    expect(await ledgerRows({ key_id: k.id })).toHaveLength(1);
  });
});
