/**
 * Crash: the real local service (`wrangler dev --local`, state persisted in a temporary directory)
 * is killed hard — SIGKILL of wrangler and workerd together — while its runs are mid-way, then
 * started again on the same state. Checked:
 *   - every run finishes `succeeded` by itself (its alarm survives the restart);
 *   - no committed step ran twice: each step id's `candidate.generated` / `selfcheck.decided` /
 *     `judge.decided` event appears exactly once in GET /v1/runs/:id/events, event ids run 1..n
 *     without a gap or a repeat, and the trace has exactly N candidates and N−1 matches per stage;
 *   - the result is the one an uninterrupted run gives: the same trace, answer and token usage as
 *     a reference run with the same request and seed, started after the restart;
 *   - no usage billed twice: exactly one usage_ledger row per run (read with `wrangler d1 execute`
 *     on the same state), holding the run's own token counts; GET /v1/usage counts every run once;
 *   - webhooks (`events: ["*"]`, to a receiver on loopback) deliver every event of the run, each
 *     webhook-id with one body, first arrivals in event order (a delivery in flight at the kill may
 *     be sent again with the same webhook-id: at-least-once, as Standard Webhooks expects).
 * The mock model is slowed down (MOCK_LATENCY_MS) so that runs are caught mid-way.
 *
 * Run: npm run test:reliability (or node --test test/reliability/crash.test.mjs).
 * RELIABILITY_CRASH_RUNS (default 30) sets how many runs are crashed.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DEV_KEY, ROOT, d1Query, freePort, parseSse, prepareState, startService } from "./service.mjs";

const RUNS = Number(process.env.RELIABILITY_CRASH_RUNS ?? 30);
const LATENCY_MS = 250;
/** Runs resume on their watchdog alarm (15 s after the tick the kill interrupted): allow for it. */
const RECOVERY_TIMEOUT_MS = 180_000;
const VARS = { MOCK_LATENCY_MS: String(LATENCY_MS), WEBHOOK_SCHEDULE_SCALE: "0.001" };
const AUTH = { authorization: `Bearer ${DEV_KEY}` };
const IMAGE = readFileSync(join(ROOT, "test/fixtures/tiny-8x6.png")).toString("base64");

let state;
let service;
let receiver;
const deliveries = new Map(); // hook name → [{ id, body }]

before(async () => {
  state = mkdtempSync(join(tmpdir(), "x1-crash-state-"));
  prepareState(state);
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const name = (req.url ?? "").split("/").filter(Boolean).at(-1) ?? "";
      deliveries.set(name, [
        ...(deliveries.get(name) ?? []),
        { id: String(req.headers["webhook-id"]), body: Buffer.concat(chunks).toString("utf8"), at: Date.now() },
      ]);
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
});

after(async () => {
  await service?.kill();
  await new Promise((r) => receiver?.close(r) ?? r());
  if (state) rmSync(state, { recursive: true, force: true });
});

/** The i-th run's request: stage_beam (N = 2..5) or best_of_n, judge scorer, an image, a fixed seed; every third with a webhook. */
function runBody(i, hookUrl) {
  const strategy = i % 6 === 5 ? "best_of_n" : "stage_beam";
  const body = {
    question: `How many red circles are there? (run ${i})`,
    model: "mock:fixed", // the fixed-latency mock, slowed down by MOCK_LATENCY_MS (not the deployment's default model)
    image: { data: IMAGE, media_type: "image/png" },
    search: { strategy, candidates: 2 + (i % 4), scorer: "judge" },
    sampling: { seed: 1000 + i },
    metadata: { crash_test: String(i) },
  };
  if (hookUrl) body.webhook = { url: hookUrl, events: ["*"] };
  return body;
}

/** wrangler dev's own 503 when its workerd process restarted under a request (not the service's answer). */
const DEV_SERVER_RESTART = /Your worker restarted mid-request/;

/**
 * One API call. A POST carries an Idempotency-Key, so that a request wrangler dev answers with its
 * own "worker restarted mid-request" 503 (only GET and HEAD are retried by wrangler itself; seen
 * once, with the machine loaded by other work) can be sent again as a client would, without a
 * second run; any other 5xx fails the test, with the tail of the service's log.
 */
async function api(base, path, init = {}) {
  const key = init.method === "POST" ? { "idempotency-key": `crash-${Math.random().toString(36).slice(2)}` } : {};
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { ...AUTH, ...key, ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
    });
    const text = await res.text();
    if (res.status === 503 && DEV_SERVER_RESTART.test(text) && attempt < 3) {
      console.log(
        `# crash: wrangler dev answered ${init.method ?? "GET"} ${path} with "worker restarted mid-request"; sending it again`,
      );
      continue;
    }
    assert.ok(
      res.status < 500,
      `${init.method ?? "GET"} ${path} answered ${res.status}: ${text.slice(0, 500)}\n--- service log (tail) ---\n${service?.log().slice(-3000) ?? ""}`,
    );
    return { status: res.status, json: text.startsWith("{") ? JSON.parse(text) : text, text };
  }
}

async function views(base, ids) {
  return Promise.all(ids.map(async (id) => (await api(base, `/v1/runs/${id}`)).json));
}

const TOKEN_FIELDS = ["input_tokens", "output_tokens", "judge_input_tokens", "judge_output_tokens"];

it(
  `SIGKILL mid-way through ${RUNS} runs, restart on the same state: every run finishes once, billed once`,
  { timeout: 600_000 },
  async () => {
    const started = Date.now();
    const port = await freePort();
    service = await startService({ state, port, vars: VARS });
    const base = service.url;
    const hookBase = `http://127.0.0.1:${receiver.address().port}/hook`;

    // Create the runs over HTTP, all at once.
    const bodies = Array.from({ length: RUNS }, (_, i) => runBody(i, i % 3 === 0 ? `${hookBase}/run${i}` : undefined));
    const created = await Promise.all(
      bodies.map((body) => api(base, "/v1/runs", { method: "POST", body: JSON.stringify(body) })),
    );
    for (const c of created) assert.equal(c.status, 202, c.text);
    const ids = created.map((c) => c.json.id);

    // Kill once the runs are under way but far from done.
    let atKill = [];
    for (const until = Date.now() + 60_000; Date.now() < until;) {
      atKill = await views(base, ids);
      const moving = atKill.filter((v) => v.progress.steps_done >= 3).length;
      if (moving >= RUNS / 3 || atKill.some((v) => v.status === "succeeded")) break;
      await sleep(100);
    }
    await service.kill("SIGKILL");
    const killedAt = Date.now();
    const unfinished = atKill.filter((v) => v.status === "queued" || v.status === "running");
    const midway = atKill.filter((v) => v.status === "running" && v.progress.steps_done > 0);
    console.log(
      `# crash: killed at ${((killedAt - started) / 1000).toFixed(1)} s; last look before the kill: ${unfinished.length}/${RUNS} unfinished, ${midway.length} mid-way (steps done: ${atKill.map((v) => v.progress.steps_done).join(" ")})`,
    );
    assert.ok(
      unfinished.length >= RUNS * 0.8,
      `too many runs had finished before the kill (${RUNS - unfinished.length})`,
    );
    assert.ok(midway.length >= RUNS / 4, `too few runs were mid-way at the kill (${midway.length})`);

    // Start again on the same state; runs must finish by themselves (only read here, never poked).
    service = await startService({ state, port, vars: VARS });
    const restartedAt = Date.now();
    let finished = [];
    for (const until = restartedAt + RECOVERY_TIMEOUT_MS; ;) {
      finished = await views(base, ids);
      if (finished.every((v) => v.status !== "queued" && v.status !== "running")) break;
      assert.ok(
        Date.now() < until,
        `runs still unfinished ${RECOVERY_TIMEOUT_MS} ms after the restart: ${finished
          .filter((v) => v.status === "running" || v.status === "queued")
          .map((v) => `${v.id} ${v.status} ${v.progress.steps_done}`)
          .join(", ")}`,
      );
      await sleep(1000);
    }
    const recoveredAt = Date.now();
    console.log(
      `# crash: restarted in ${((restartedAt - killedAt) / 1000).toFixed(1)} s; every run finished ${((recoveredAt - restartedAt) / 1000).toFixed(1)} s after the restart`,
    );
    for (const v of finished) assert.equal(v.status, "succeeded", `${v.id}: ${JSON.stringify(v.error)}`);

    // Reference runs: the same requests, uninterrupted.
    const refs = await Promise.all(
      bodies.map((body) => {
        const { webhook: _webhook, ...plain } = body;
        return api(base, "/v1/runs", { method: "POST", headers: { prefer: "wait=60" }, body: JSON.stringify(plain) });
      }),
    );
    const refViews = await views(
      base,
      refs.map((r) => r.json.id),
    );

    let stepEvents = 0;
    let stagesChecked = 0;
    let fullBrackets = 0;
    let failures = 0;
    for (const [i, v] of finished.entries()) {
      try {
        const n = bodies[i].search.candidates;
        // The trace: exactly N candidates per stage and M−1 matches for its M distinct candidates (identical
        // ones are merged before judging: the mock's CONCLUSION has 4 possible answers), N self-checks for REASONING.
        for (const stage of v.trace.stages) {
          assert.equal(stage.candidates.length, n, `${v.id} ${stage.stage}: candidates`);
          const distinct = stage.candidates.filter((c) => c.merged_into === undefined).length;
          assert.equal(stage.matches.length, distinct - 1, `${v.id} ${stage.stage}: matches`);
          if (distinct === n) fullBrackets += 1;
          stagesChecked += 1;
          assert.equal(
            stage.selfchecks.length,
            stage.stage === "REASONING" ? n : 0,
            `${v.id} ${stage.stage}: self-checks`,
          );
        }
        assert.equal(v.trace.stages.length, bodies[i].search.strategy === "best_of_n" ? 1 : 4);
        // Every committed step's event exactly once; event ids 1..n in order.
        const res = await fetch(`${base}/v1/runs/${v.id}/events`, { headers: AUTH });
        assert.equal(res.status, 200);
        const events = parseSse(await res.text());
        assert.deepEqual(
          events.map((e) => e.id),
          events.map((_, k) => k + 1),
          `${v.id}: event ids`,
        );
        const count = (type) => events.filter((e) => e.event === type).length;
        for (const type of ["run.created", "run.started", "run.succeeded"])
          assert.equal(count(type), 1, `${v.id}: ${type}`);
        assert.equal(count("run.failed") + count("run.canceled"), 0);
        const steps = (type) => events.filter((e) => e.event === type).map((e) => e.data.step);
        const expectOnce = (type, ids_) => {
          const got = steps(type);
          assert.equal(new Set(got).size, got.length, `${v.id}: a ${type} event repeated: ${got.join(" ")}`);
          assert.deepEqual([...got].sort(), [...ids_].sort(), `${v.id}: ${type} events vs trace`);
          stepEvents += got.length;
        };
        expectOnce(
          "candidate.generated",
          v.trace.stages.flatMap((s) => s.candidates.map((c) => c.id)),
        );
        expectOnce(
          "judge.decided",
          v.trace.stages.flatMap((s) => s.matches.map((m) => m.step)),
        );
        expectOnce(
          "selfcheck.decided",
          v.trace.stages.flatMap((s) => s.selfchecks.map((c) => c.step)),
        );
        assert.equal(count("stage.completed"), v.trace.stages.length);
        // The same result as the uninterrupted reference run.
        const ref = refViews[i];
        assert.equal(ref.status, "succeeded");
        assert.deepEqual(v.trace, ref.trace, `${v.id}: trace differs from the uninterrupted run`);
        assert.equal(v.answer, ref.answer);
        for (const f of TOKEN_FIELDS) assert.equal(v.usage[f], ref.usage[f], `${v.id}: usage.${f}`);
      } catch (err) {
        failures += 1;
        console.log(`# crash: run ${i} (${v.id}) failed a check: ${err.message}`);
      }
    }

    // Webhooks: every event, one body per webhook-id, first arrivals in event order.
    let delivered = 0;
    let redelivered = 0;
    const redeliveredTypes = [];
    const hooked = finished.filter((_, i) => bodies[i].webhook);
    for (const until = Date.now() + 60_000; ;) {
      const now = await views(
        base,
        hooked.map((v) => v.id),
      );
      if (now.every((v) => v.webhook.deliveries.every((d) => d.state === "delivered"))) break;
      assert.ok(Date.now() < until, "webhook deliveries still pending after 60 s");
      await sleep(500);
    }
    for (const v of hooked) {
      const i = finished.indexOf(v);
      const events = parseSse(await (await fetch(`${base}/v1/runs/${v.id}/events`, { headers: AUTH })).text());
      const got = deliveries.get(`run${i}`) ?? [];
      const firstSeen = [];
      const bodyOf = new Map();
      const firstAt = new Map();
      for (const d of got) {
        if (bodyOf.has(d.id)) {
          assert.equal(d.body, bodyOf.get(d.id), `${v.id}: webhook-id ${d.id} arrived with two bodies`);
          redelivered += 1;
          redeliveredTypes.push(JSON.parse(d.body).type);
          // A second delivery of one webhook-id is allowed only across the kill (sent, then killed before it was marked).
          assert.ok(
            firstAt.get(d.id) < killedAt && d.at > killedAt,
            `${v.id}: webhook-id ${d.id} (${JSON.parse(d.body).type}) delivered twice without a crash in between`,
          );
        } else {
          bodyOf.set(d.id, d.body);
          firstAt.set(d.id, d.at);
          firstSeen.push(JSON.parse(d.body));
        }
      }
      assert.deepEqual(
        firstSeen.map((p) => p.data.seq),
        events.map((e) => e.id),
        `${v.id}: webhook events vs run events`,
      );
      assert.deepEqual(
        firstSeen.map((p) => p.type),
        events.map((e) => e.event),
      );
      delivered += firstSeen.length;
    }

    // The ledger: one row per run, with the run's own tokens; read from D1 with the service stopped.
    const usage = (await api(base, "/v1/usage")).json;
    await service.kill("SIGTERM");
    service = undefined;
    const rows = d1Query(
      state,
      "SELECT run_id, status, input_tokens, output_tokens, judge_input_tokens, judge_output_tokens FROM usage_ledger",
    );
    const allIds = [...ids, ...refViews.map((v) => v.id)];
    assert.equal(usage.total.runs, allIds.length, "GET /v1/usage counts every run once");
    assert.equal(rows.length, allIds.length, "one ledger row per run");
    const byRun = new Map(rows.map((r) => [r.run_id, r]));
    for (const v of [...finished, ...refViews]) {
      const row = byRun.get(v.id);
      assert.ok(row, `${v.id}: no ledger row`);
      assert.equal(row.status, "succeeded");
      for (const f of TOKEN_FIELDS) assert.equal(row[f], v.usage[f] ?? null, `${v.id}: ledger ${f}`);
    }
    const cases = RUNS;
    console.log(
      `# crash: ${cases} runs crashed mid-way, ${failures} failures; ${stepEvents} step events checked once each; ${stagesChecked} stages (${fullBrackets} with N−1 matches, the rest with merged twins); ` +
        `${rows.length} ledger rows for ${allIds.length} runs (${RUNS} crashed + ${RUNS} reference); ` +
        `${delivered} webhook events delivered across ${hooked.length} runs (${redelivered} redelivered after the kill: ${redeliveredTypes.join(", ") || "none"}); total ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal(failures, 0);
  },
);
