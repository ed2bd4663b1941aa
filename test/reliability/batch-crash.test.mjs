/**
 * Batch crash: a batch of 200 runs on the real local service (`wrangler dev --local`, state in a
 * temporary directory) is killed hard — SIGKILL of wrangler and workerd — while it is mid-way,
 * then started again on the same state. Checked: the batch finishes by itself with 200 results in
 * input order, every run succeeded, no request became two runs, and each run is billed once (one
 * usage_ledger row per run and no other, read with `wrangler d1 execute` on the same state).
 *
 * Run: npm run test:crash (or node --test test/reliability/batch-crash.test.mjs).
 * RELIABILITY_BATCH_RUNS (default 200) sets the batch's size.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DEV_KEY, d1Query, freePort, prepareState, startService } from "./service.mjs";

const RUNS = Number(process.env.RELIABILITY_BATCH_RUNS ?? 200);
/** Slow enough that the batch is caught mid-way, fast enough to finish in about a minute. */
const VARS = { MOCK_LATENCY_MS: "60", BATCH_KEY_CONCURRENCY: "16" };
const AUTH = { authorization: `Bearer ${DEV_KEY}` };
/** The batch and its runs resume on their watchdog alarms (30 s and 15 s after the kill). */
const RECOVERY_TIMEOUT_MS = 300_000;

let state;
let service;

before(() => {
  state = mkdtempSync(join(tmpdir(), "x1-batch-crash-state-"));
  prepareState(state);
});

after(async () => {
  await service?.kill();
  if (state) rmSync(state, { recursive: true, force: true });
});

async function getBatch(base, id) {
  const res = await fetch(`${base}/v1/batches/${id}`, { headers: AUTH });
  const text = await res.text();
  assert.equal(
    res.status,
    200,
    `GET batch answered ${res.status}: ${text.slice(0, 300)}\n${service?.log().slice(-2000) ?? ""}`,
  );
  return JSON.parse(text);
}

it(
  `SIGKILL mid-way through a batch of ${RUNS} runs: ${RUNS} results in order, each run billed once`,
  { timeout: 600_000 },
  async () => {
    const port = await freePort();
    service = await startService({ state, port, vars: VARS });
    const base = service.url;
    const requests = Array.from({ length: RUNS }, (_, i) => ({
      custom_id: `item-${String(i).padStart(4, "0")}`,
      body: {
        model: "mock:fixed",
        question: `How many red circles are there? (${i})`,
        search: { strategy: "greedy" },
        sampling: { seed: i },
      },
    }));
    const res = await fetch(`${base}/v1/batches`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "application/json" },
      body: JSON.stringify({ requests, concurrency: 16 }),
    });
    const text = await res.text();
    assert.equal(res.status, 202, text.slice(0, 500));
    const { id } = JSON.parse(text);

    let atKill;
    for (const until = Date.now() + 120_000; ;) {
      atKill = await getBatch(base, id);
      if (atKill.counts.succeeded >= RUNS / 5) break;
      assert.ok(Date.now() < until, `the batch made no progress: ${JSON.stringify(atKill.counts)}`);
      await sleep(100);
    }
    await service.kill("SIGKILL");
    console.log(`# batch crash: killed with ${JSON.stringify(atKill.counts)}`);
    assert.ok(atKill.counts.succeeded < RUNS * 0.8, "too much of the batch had finished before the kill");

    service = await startService({ state, port, vars: VARS });
    const restartedAt = Date.now();
    let done;
    for (;;) {
      done = await getBatch(base, id);
      if (done.status !== "running") break;
      assert.ok(
        Date.now() - restartedAt < RECOVERY_TIMEOUT_MS,
        `batch still running after the restart: ${JSON.stringify(done.counts)}`,
      );
      await sleep(500);
    }
    console.log(
      `# batch crash: finished ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart: ${JSON.stringify(done.counts)}`,
    );
    assert.equal(done.status, "completed");
    assert.deepEqual(done.counts, { total: RUNS, pending: 0, running: 0, succeeded: RUNS, failed: 0, canceled: 0 });

    const lines = (await (await fetch(`${base}/v1/batches/${id}/results`, { headers: AUTH })).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.custom_id),
      requests.map((r) => r.custom_id),
    );
    assert.ok(lines.every((l) => l.status === "succeeded" && typeof l.answer === "string"));
    const runIds = lines.map((l) => l.run_id);
    assert.equal(new Set(runIds).size, RUNS, "every request is its own run");

    // Billed once: read D1 with the service down, so every ledger write has landed or never will.
    await sleep(2000);
    await service.kill();
    service = undefined;
    const ledger = d1Query(state, "SELECT run_id, COUNT(*) AS n FROM usage_ledger GROUP BY run_id");
    const indexed = d1Query(state, "SELECT COUNT(*) AS n FROM runs");
    assert.equal(ledger.length, RUNS, `ledger rows for ${ledger.length} runs, not ${RUNS}`);
    assert.ok(
      ledger.every((r) => r.n === 1),
      "a run with more than one ledger row",
    );
    assert.deepEqual(new Set(ledger.map((r) => r.run_id)), new Set(runIds));
    assert.equal(indexed[0]?.n, RUNS, "no run beyond the batch's was created");
  },
);
