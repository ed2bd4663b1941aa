/**
 * Per-key budgets: 402 before a run starts when the budget is spent (no run created), and a run
 * that reaches the key's remaining budget stops mid-way with `budget_exceeded`, keeping its trace.
 * Bad input is never metered.
 */
import { describe, expect, it } from "vitest";
import type { RunView } from "../../src/runs/contract";
import { countRuns, expectError } from "../api/helpers";
import { createTestKey } from "../helpers/admin";
import { call, createRun, indexedRunIds, insertLedger, ledgerRows, waitForLedger } from "./helpers";

const SEARCH = { strategy: "stage_beam", candidates: 4, scorer: "judge" };

async function finished(res: Response): Promise<RunView> {
  expect(res.status).toBe(200);
  return (await res.json()) as RunView;
}

describe("budgets", () => {
  it("a key with a budget of 0 gets 402 budget_exhausted, and no run is created", async () => {
    const k = await createTestKey({ name: "broke", budget_usd: 0 });
    const before = await countRuns();
    await expectError(
      await createRun(k.key),
      402,
      new RegExp(`budget exhausted: key ${k.id} has spent \\$0\\.000000 of its \\$0\\.00 budget.*no run was started`),
      {
        type: "budget_error",
        code: "budget_exhausted",
      },
    );
    expect(await countRuns()).toBe(before);
    expect(await indexedRunIds(k.id)).toEqual([]);
  });

  it("the ledger counts: finished runs costing the budget → 402", async () => {
    const k = await createTestKey({ name: "spent", budget_usd: 0.01 });
    await insertLedger({ run_id: "run_ledger_budget_1", key_id: k.id, cost_usd: 0.004 });
    expect((await createRun(k.key, { search: { strategy: "greedy" } }, { Prefer: "wait=30" })).status).toBe(200);
    await insertLedger({ run_id: "run_ledger_budget_2", key_id: k.id, cost_usd: 0.007 });
    const before = await countRuns();
    await expectError(await createRun(k.key), 402, /has spent \$0\.011\d* of its \$0\.01 budget/, {
      code: "budget_exhausted",
    });
    expect(await countRuns()).toBe(before);
  });

  it("a run reaching the key's remaining budget stops with budget_exceeded and keeps its trace; the next is a 402", async () => {
    // What the run costs in full, measured with an unlimited key (the mock model is deterministic in tokens).
    const free = await createTestKey({ name: "unlimited" });
    const full = await finished(
      await createRun(free.key, { search: SEARCH, sampling: { seed: 11 } }, { Prefer: "wait=30" }),
    );
    expect(full.status).toBe("succeeded");
    const fullCost = full.usage.cost_usd ?? 0;
    expect(fullCost).toBeGreaterThan(0);

    const k = await createTestKey({ name: "half budget", budget_usd: fullCost / 2 });
    const run = await finished(
      await createRun(k.key, { search: SEARCH, sampling: { seed: 11 } }, { Prefer: "wait=30" }),
    );
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("budget_exceeded");
    expect(run.answer).toBeNull();
    // The trace so far is kept: at least the first stage's candidates, fewer stages completed than in full.
    expect(run.trace.stages[0]?.candidates.length).toBeGreaterThan(0);
    const completed = (v: RunView) => v.trace.stages.filter((s) => s.status === "completed").length;
    expect(completed(run)).toBeLessThan(completed(full));
    expect(run.usage.cost_usd ?? 0).toBeGreaterThanOrEqual(fullCost / 2);
    expect(run.usage.cost_usd ?? 0).toBeLessThan(fullCost);

    const row = await waitForLedger(run.id);
    expect(row).toMatchObject({ key_id: k.id, status: "failed", model: run.model });
    expect(row.cost_usd).toBeCloseTo(run.usage.cost_usd ?? -1, 12);
    await expectError(await createRun(k.key), 402, /budget exhausted/, { code: "budget_exhausted" });
  });
});

describe("nothing is metered for bad input", () => {
  it.each([
    [
      "POST /v1/runs: question missing",
      "/v1/runs",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({}) },
      400,
      /question: is required/,
    ],
    [
      "POST /v1/runs: candidates too many",
      "/v1/runs",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ question: "q", search: { candidates: 99 } }),
      },
      400,
      /candidates/,
    ],
    [
      "POST /v1/runs: not JSON",
      "/v1/runs",
      { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" },
      400,
      /not valid JSON/,
    ],
    ["GET /v1/runs: bad limit", "/v1/runs?limit=0", {}, 400, /limit: must be at least 1/],
    ["GET /v1/usage: bad date", "/v1/usage?from=yesterday", {}, 400, /from: must be a date as YYYY-MM-DD/],
  ] as const)("%s → 4xx, no run, no ledger row, nothing indexed", async (_name, path, init, status, message) => {
    const k = await createTestKey({ name: "bad input", budget_usd: 1 });
    const before = await countRuns();
    await expectError(await call(path, k.key, init as RequestInit), status, message);
    expect(await countRuns()).toBe(before);
    expect(await ledgerRows({ key_id: k.id })).toEqual([]);
    expect(await indexedRunIds(k.id)).toEqual([]);
    const usage = (await (await call("/v1/usage", k.key)).json()) as {
      total: { runs: number; cost_usd: number };
      budget: { spent_usd: number };
    };
    expect(usage.total).toMatchObject({ runs: 0, cost_usd: 0 });
    expect(usage.budget.spent_usd).toBe(0);
  });
});
