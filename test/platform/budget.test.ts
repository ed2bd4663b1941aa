/**
 * Per-key budgets: 402 before a run starts when the budget is spent (no run created); every call
 * reserves its worst case first, so a run stops before a call it cannot afford (`budget_exceeded`,
 * trace kept) and spend never passes the budget, concurrent runs included. Replays come first.
 * Bad input is never metered.
 */
import { describe, expect, it } from "vitest";
import type { RunView } from "../../src/runs/contract";
import { countRuns, expectError } from "../api/helpers";
import { SELF } from "cloudflare:test";
import { adminHeaders, createTestKey } from "../helpers/admin";
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
      new RegExp(`budget exhausted: key ${k.id} has spent \\$0\\.00 of its \\$0\\.00 budget.*no run was started`),
      {
        type: "budget_error",
        code: "budget_exhausted",
      },
    );
    expect(await countRuns()).toBe(before);
    expect(await indexedRunIds(k.id)).toEqual([]);
  });

  it("the ledger's total starts the key's spend counter; money in the message has all its digits", async () => {
    const k = await createTestKey({ name: "spent", budget_usd: 0.0104 });
    await insertLedger({ run_id: "run_ledger_budget_1", key_id: k.id, cost_usd: 0.004 });
    await insertLedger({ run_id: "run_ledger_budget_2", key_id: k.id, cost_usd: 0.00645 });
    const before = await countRuns();
    await expectError(await createRun(k.key), 402, /has spent \$0\.01045 of its \$0\.0104 budget/, {
      code: "budget_exhausted",
    });
    expect(await countRuns()).toBe(before);
  });

  it("a run that cannot afford its next call stops before it with budget_exceeded: spend never passes the budget", async () => {
    // What the run costs in full, measured with an unlimited key (the mock model is deterministic in tokens).
    const free = await createTestKey({ name: "unlimited" });
    const full = await finished(
      await createRun(free.key, { search: SEARCH, sampling: { seed: 11 } }, { Prefer: "wait=30" }),
    );
    expect(full.status).toBe("succeeded");
    const fullCost = full.usage.cost_usd ?? 0;
    expect(fullCost).toBeGreaterThan(0);

    const budget = fullCost / 2;
    const k = await createTestKey({ name: "half budget", budget_usd: budget });
    const run = await finished(
      await createRun(k.key, { search: SEARCH, sampling: { seed: 11 } }, { Prefer: "wait=30" }),
    );
    expect(run.status).toBe("failed");
    expect(run.error?.code).toBe("budget_exceeded");
    expect(run.error?.message).toMatch(/could cost \$0\.\d+, more than the budget has left.*not sent/);
    expect(run.answer).toBeNull();
    // The trace so far is kept: at least the first stage's candidates, fewer stages completed than in full.
    expect(run.trace.stages[0]?.candidates.length).toBeGreaterThan(0);
    const completed = (v: RunView) => v.trace.stages.filter((s) => s.status === "completed").length;
    expect(completed(run)).toBeLessThan(completed(full));
    expect(run.usage.cost_usd ?? 0).toBeGreaterThan(0);
    expect(run.usage.cost_usd ?? Infinity).toBeLessThanOrEqual(budget);

    const row = await waitForLedger(run.id);
    expect(row).toMatchObject({ key_id: k.id, status: "failed", model: run.model });
    expect(row.cost_usd).toBeCloseTo(run.usage.cost_usd ?? -1, 12);
    expect(row.cost_usd).toBeLessThanOrEqual(budget);
  });

  it("concurrent runs of one key never spend past its budget together", async () => {
    const free = await createTestKey({ name: "measure" });
    const one = await finished(
      await createRun(free.key, { search: { strategy: "greedy" }, sampling: { seed: 5 } }, { Prefer: "wait=30" }),
    );
    const oneCost = one.usage.cost_usd ?? 0;
    expect(oneCost).toBeGreaterThan(0);
    // Room for about two and a half runs' worth, six runs at once.
    const budget = oneCost * 2.5;
    const k = await createTestKey({ name: "shared budget", budget_usd: budget });
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createRun(k.key, { search: { strategy: "greedy" }, sampling: { seed: 5 + i } }, { Prefer: "wait=30" }),
      ),
    );
    const views: RunView[] = [];
    for (const res of responses) {
      if (res.status === 402) continue; // the budget was already reserved by the others
      views.push(await finished(res));
    }
    expect(views.length).toBeGreaterThan(0);
    const spent = views.reduce((sum, v) => sum + (v.usage.cost_usd ?? 0), 0);
    expect(spent).toBeLessThanOrEqual(budget * (1 + 1e-9));
    expect(views.some((v) => v.status === "failed" && v.error?.code === "budget_exceeded")).toBe(true);
    const ledger = await Promise.all(views.map((v) => waitForLedger(v.id)));
    expect(ledger.reduce((sum, r) => sum + r.cost_usd, 0)).toBeLessThanOrEqual(budget * (1 + 1e-9));
  });

  it("an idempotent replay returns its run even once the budget is spent", async () => {
    const k = await createTestKey({ name: "replay", budget_usd: 1 });
    const body = { search: { strategy: "greedy" }, sampling: { seed: 9 } };
    const first = await finished(await createRun(k.key, body, { Prefer: "wait=30", "Idempotency-Key": "replay-1" }));
    expect(first.status).toBe("succeeded");
    // The operator cuts the budget to what the key has spent.
    const cut = await SELF.fetch(`https://api.test/admin/keys/${k.id}`, {
      method: "PATCH",
      headers: { ...adminHeaders(), "content-type": "application/json" },
      body: JSON.stringify({ budget_usd: first.usage.cost_usd }),
    });
    expect(cut.status).toBe(200);
    await expectError(await createRun(k.key, body), 402, /budget exhausted/, { code: "budget_exhausted" });
    const again = await createRun(k.key, body, { "Idempotency-Key": "replay-1" });
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await again.json()) as RunView).id).toBe(first.id);
  });

  it("an idempotent replay returns its run even when the key is over its rate limit", async () => {
    const k = await createTestKey({ name: "slow key", rate_limit_per_minute: 1 });
    const body = { search: { strategy: "greedy" } };
    const first = await createRun(k.key, body, { "Idempotency-Key": "rate-1" });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    await expectError(await createRun(k.key, body), 429, /rate limit reached/, { code: "rate_limit_exceeded" });
    const again = await createRun(k.key, body, { "Idempotency-Key": "rate-1" });
    expect([200, 202]).toContain(again.status);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await again.json()) as { id: string }).id).toBe(id);
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
