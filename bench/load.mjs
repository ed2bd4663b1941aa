#!/usr/bin/env node
/**
 * Load: hundreds of concurrent runs over HTTP against the real local service (`wrangler dev
 * --local`, as `npm start` runs it, on a fresh state directory), in two scenarios:
 *   - mock:     the fixed-latency mock model (`mock:fixed`, MOCK_LATENCY_MS per call), stage_beam
 *               N = 4 with the judge scorer (30 model calls per run);
 *   - embedded: the embedded int8 model (`embedded:x1-shapes-tiny`, running inside workerd),
 *               stage_beam N = 2 with the judge scorer (greedy with --embedded-strategy greedy).
 *   - batch:    one POST /v1/batches of --batch-runs greedy mock runs, while the same key sends
 *               an interactive run every --interactive-every-ms: the batch's throughput, and the
 *               interactive runs' latency during the batch against the same runs on an idle
 *               service (measured just before); then 1,000 results in order, each run once.
 * Both on the committed sample images and their questions (data/x1-shapes/samples/), in turn.
 * Measured per scenario: submission latency (POST /v1/runs → 202), completion latency (the run's
 * own created_at → finished_at, and as the client saw it: POST sent → terminal status read),
 * throughput (runs/s and generated tokens/s over the wall time, first POST → last run seen
 * finished), every HTTP status other than the expected one, and how long a light request waits
 * behind the load (GET /v1/models, sent every second while the scenario runs).
 *
 * Then correctness, from the service's own records: every created run id is in GET /v1/runs
 * (paged) exactly once and nothing else is (none lost, none duplicated); every run `succeeded`
 * before the deadline (none stuck; a failed one is reported with its error); each run's events
 * (GET /v1/runs/:id/events) have ids 1..n, start with run.created and end with exactly one terminal
 * event matching the run's status; GET /v1/usage counts every run once; and, read from D1 with
 * the service stopped, the usage_ledger holds exactly one row per run with the run's own token
 * counts. Every POST carries an Idempotency-Key and is retried (same key, up to 3 times) on a
 * network error, no answer or a 5xx, and on a 429 after its Retry-After; every `--dup-every`-th
 * run's POST is also sent a second time concurrently with the same key, and both answers must
 * name the same run.
 *
 * The runs use their own API key, created through the admin API (POST /admin/keys) with the
 * highest rate limit it allows (100,000 requests per minute), so that the per-key limiter is
 * exercised without being the bottleneck and GET /v1/runs lists the benchmark's runs only.
 *
 * Run:    node bench/load.mjs [--mock-runs 300] [--embedded-runs 200] [--scenarios mock,embedded] …
 * Writes: bench/results/load.json, and prints markdown tables. Exits 1 when any run is lost,
 *         duplicated, stuck or failed, or a check above does not hold.
 * Options (also as environment variables, e.g. LOAD_MOCK_RUNS=300): see OPTIONS below.
 */
/* global AbortController */
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT, d1Query, freePort, parseSse, prepareState, startService } from "../test/reliability/service.mjs";

/** name → [default, description]; `--name value` or LOAD_NAME (upper snake case) overrides. */
const OPTIONS = {
  scenarios: ["mock,embedded", "which scenarios to run, in order: mock, embedded, batch (one batch of --batch-runs)"],
  "batch-runs": [1000, "requests in the batch scenario's one batch (greedy runs of the mock model)"],
  "batch-concurrency": [16, "the batch's concurrency (and the key's BATCH_KEY_CONCURRENCY)"],
  "interactive-every-ms": [500, "batch scenario: one interactive run of the same key every this many ms"],
  "mock-runs": [300, "runs in the mock scenario"],
  "mock-latency-ms": [25, "MOCK_LATENCY_MS: the mock model's latency per call"],
  "mock-candidates": [4, "N of the mock scenario's stage_beam (judge scorer)"],
  "embedded-runs": [200, "runs in the embedded scenario"],
  "embedded-strategy": ["stage_beam", "greedy | stage_beam | best_of_n"],
  "embedded-candidates": [2, "N when the embedded strategy is not greedy"],
  "submit-concurrency": [0, "POSTs in flight at once (0: every POST of a scenario at once)"],
  "dup-every": [
    10,
    "every k-th run's POST is also sent a second time, concurrently, with the same Idempotency-Key (0: never)",
  ],
  "stuck-after-s": [420, "a run not finished this long after its POST is stuck"],
  "check-concurrency": [16, "requests in flight at once while reading events back"],
  "max-minutes": [20, "give up (exit 2) when the whole benchmark has not finished in this time"],
  out: [
    join(ROOT, "bench", "results", "load.json"),
    "where the JSON results go (the service's log goes to tools/.cache/bench-load-service.log)",
  ],
};

function parseOptions(argv) {
  const opts = Object.fromEntries(
    Object.entries(OPTIONS).map(([k, [def]]) => {
      const env = process.env[`LOAD_${k.toUpperCase().replaceAll("-", "_")}`];
      return [k, env === undefined ? def : typeof def === "number" ? Number(env) : env];
    }),
  );
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (argv[i] === "--help" || argv[i] === "-h") {
      console.log(
        `node bench/load.mjs [options]\n${Object.entries(OPTIONS)
          .map(([k, [d, text]]) => `  --${k} (LOAD_${k.toUpperCase().replaceAll("-", "_")}, default ${d}): ${text}`)
          .join("\n")}`,
      );
      process.exit(0);
    }
    if (!m || !(m[1] in OPTIONS)) throw new Error(`unknown argument ${argv[i]} (--help lists the options)`);
    const raw = m[2] ?? argv[++i];
    opts[m[1]] = typeof OPTIONS[m[1]][0] === "number" ? Number(raw) : raw;
    if (Number.isNaN(opts[m[1]])) throw new Error(`--${m[1]} needs a number`);
  }
  return opts;
}

const opts = parseOptions(process.argv.slice(2));
/** The service's own log (git-ignored, like the other benchmark logs). */
const LOG = join(ROOT, "tools", ".cache", "bench-load-service.log");
const TERMINAL = new Set(["succeeded", "failed", "canceled"]);
const TIMED_OUT = Symbol("timed out");
const SAMPLES_DIR = join(ROOT, "data", "x1-shapes", "samples");
const SAMPLES = JSON.parse(readFileSync(join(SAMPLES_DIR, "samples.json"), "utf8")).map((s) => ({
  ...s,
  data: readFileSync(join(SAMPLES_DIR, s.image)).toString("base64"),
}));

// ---------------------------------------------------------------------------------------------
// Statistics

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(values) {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : null,
    mean: values.length ? values.reduce((s, v) => s + v, 0) / values.length : null,
  };
}

const round = (v, d = 0) => (v === null || v === undefined ? null : Number(v.toFixed(d)));
const ms = (v) =>
  v === null || v === undefined ? "–" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;

/** `limit` at a time over `items`. */
async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const width = limit > 0 ? Math.min(limit, items.length) : items.length;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// HTTP

class Http {
  constructor(base, key) {
    this.base = base;
    this.key = key;
    /** "METHOD route status" → count; status "network" for a request that got no answer, "timeout" for one not answered in time. */
    this.statuses = new Map();
    /** Requests answered with a 5xx, or not at all: when, what, how. */
    this.anomalies = [];
    this.t0 = performance.now();
  }

  count(method, route, status) {
    const k = `${method} ${route} ${status}`;
    this.statuses.set(k, (this.statuses.get(k) ?? 0) + 1);
  }

  /**
   * One request; it is given up (status "timeout") after `timeoutMs`: a long poll's wait plus 30 s,
   * else 60 s. The limit is a timer of our own (AbortSignal.timeout alone once left a request of
   * a dropped connection pending forever, with nothing left to fire).
   */
  async request(method, path, { route = path, headers = {}, body, timeoutMs } = {}) {
    const wait = /wait=(\d+)/.exec(headers.prefer ?? "")?.[1];
    const limit = timeoutMs ?? (wait ? Number(wait) * 1000 + 30_000 : 60_000);
    const started = performance.now();
    const note = (status, detail) => {
      this.anomalies.push({
        at_s: round((started - this.t0) / 1000, 1),
        method,
        path,
        status,
        ms: Math.round(performance.now() - started),
        detail: detail?.slice(0, 300),
      });
    };
    const controller = new AbortController();
    let timer;
    const expired = new Promise((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), limit);
    });
    const attempt = (async () => {
      const res = await fetch(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body,
        signal: controller.signal,
      });
      return { res, text: await res.text() };
    })();
    try {
      const got = await Promise.race([attempt, expired]);
      if (got === TIMED_OUT) {
        controller.abort();
        attempt.catch(() => {});
        this.count(method, route, "timeout");
        note("timeout", `no answer in ${limit} ms`);
        return { status: "timeout" };
      }
      const { res, text } = got;
      this.count(method, route, res.status);
      if (res.status >= 500) note(res.status, text);
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    } catch (err) {
      this.count(method, route, "network");
      note("network", String(err?.cause ?? err));
      return { status: "network", error: err };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Status counts for one scenario, then start counting afresh. */
  take() {
    const out = Object.fromEntries([...this.statuses].sort());
    this.statuses.clear();
    return out;
  }
}

/**
 * POST /v1/runs with an Idempotency-Key; the same request again (same key) after a network error,
 * no answer in 120 s or a 5xx (up to 3 times), and after Retry-After on a 429 (up to 5 times). A
 * retry of a POST whose run was created answers that run (the key makes retrying safe), so a lost
 * answer shows up as a retry, never as a second run.
 */
async function postRun(http, body, key, retries) {
  const payload = JSON.stringify(body);
  let networkOr5xx = 0;
  let limited = 0;
  for (;;) {
    const t0 = performance.now();
    const res = await http.request("POST", "/v1/runs", {
      route: "/v1/runs",
      headers: { "idempotency-key": key },
      body: payload,
      timeoutMs: 120_000,
    });
    const latency = performance.now() - t0;
    if ((res.status === "network" || res.status === "timeout" || res.status >= 500) && networkOr5xx < 3) {
      networkOr5xx += 1;
      retries.push({
        key,
        status: res.status,
        error: res.error ? String(res.error.cause ?? res.error) : res.text?.slice(0, 300),
      });
      continue;
    }
    if (res.status === 429 && limited < 5) {
      limited += 1;
      retries.push({ key, status: 429 });
      await sleep(1000 * Number(res.headers.get("retry-after") ?? 1));
      continue;
    }
    return { ...res, latency };
  }
}

// ---------------------------------------------------------------------------------------------
// A scenario

function runBody(scenario, i) {
  const sample = SAMPLES[i % SAMPLES.length];
  const body = {
    question: sample.question,
    model: scenario.model,
    image: { data: sample.data, media_type: "image/png" },
    search: scenario.search,
    sampling: { seed: 1000 + i },
    metadata: { bench: "load", scenario: scenario.name, i: String(i) },
  };
  return { body, expected: sample.answer };
}

async function runScenario(http, scenario, nonce) {
  console.log(
    `\n# ${scenario.name}: ${scenario.runs} runs of ${scenario.model} ${JSON.stringify(scenario.search)}; ${opts["submit-concurrency"] || "all"} POSTs at once`,
  );
  const retries = [];
  const dupChecks = [];
  const runs = Array.from({ length: scenario.runs }, (_, i) => ({
    i,
    key: `bench-${nonce}-${scenario.name}-${i}`,
    ...runBody(scenario, i),
  }));
  const stuckAfter = opts["stuck-after-s"] * 1000;
  const started = performance.now();
  http.t0 = started;
  let lastDone = started;
  let progress = 0;
  const ticker = setInterval(() => {
    console.log(
      `#   ${((performance.now() - started) / 1000).toFixed(0)} s: ${runs.filter((r) => r.id).length} created, ${progress} finished`,
    );
  }, 15_000);
  // Responsiveness while loaded: a light request (GET /v1/models: authentication, the rate
  // limiter, no run) sent every second (each on its own: a slow one does not hold the next back).
  const probes = [];
  const probeTimer = setInterval(() => {
    const probe = { t: performance.now(), ms: undefined, status: undefined };
    probes.push(probe);
    probe.done = http.request("GET", "/v1/models", { route: "/v1/models", timeoutMs: 90_000 }).then((res) => {
      probe.ms = performance.now() - probe.t;
      probe.status = res.status;
    });
  }, 1000);

  /** Follow one created run with long polls (Prefer: wait) until it is terminal or stuck. */
  async function follow(run) {
    for (;;) {
      const left = run.t0 + stuckAfter - performance.now();
      if (left <= 0) {
        run.stuck = true;
        return;
      }
      const wait = Math.max(1, Math.min(60, Math.floor(left / 1000)));
      const res = await http.request("GET", `/v1/runs/${run.id}`, {
        route: "/v1/runs/:id",
        headers: { prefer: `wait=${wait}` },
      });
      if (res.status === 200 && TERMINAL.has(res.json?.status)) {
        run.tDone = performance.now();
        lastDone = Math.max(lastDone, run.tDone);
        run.view = res.json;
        progress += 1;
        return;
      }
      if (res.status !== 200) await sleep(500); // an error: do not spin on it
    }
  }

  await pool(runs, opts["submit-concurrency"], async (run) => {
    run.t0 = performance.now();
    const dup = opts["dup-every"] > 0 && run.i % opts["dup-every"] === opts["dup-every"] - 1;
    const [res, twin] = await Promise.all([
      postRun(http, run.body, run.key, retries),
      dup ? postRun(http, run.body, run.key, retries) : undefined,
    ]);
    run.postStatus = res.status;
    run.postLatency = res.latency;
    if (res.status !== 202 && res.status !== 200) {
      run.postError = res.error ? String(res.error.cause ?? res.error) : res.text?.slice(0, 500);
      return;
    }
    run.id = res.json.id;
    run.replayed = res.headers.get("idempotent-replayed") === "true";
    if (twin) {
      // A twin that got no answer (twice a network error) proves nothing either way: counted apart.
      const answered = twin.status === 200 || twin.status === 202;
      dupChecks.push({
        i: run.i,
        first: run.id,
        second: answered ? twin.json.id : null,
        statuses: [res.status, twin.status],
        replayed: [res.headers.get("idempotent-replayed"), answered ? twin.headers.get("idempotent-replayed") : null],
      });
    }
    run.following = follow(run);
  });
  const submittedAt = performance.now();
  await Promise.all(runs.map((r) => r.following));
  clearInterval(ticker);
  clearInterval(probeTimer);
  // Probes still unanswered 15 s after the last run finished count with their age so far (a lower bound).
  await Promise.race([Promise.all(probes.map((p) => p.done)), sleep(15_000)]);
  const finishedAt = performance.now();
  const probed = probes.map((p) => (p.ms === undefined ? { ms: finishedAt - p.t, status: "unanswered" } : p));

  const created = runs.filter((r) => r.id);
  const done = created.filter((r) => r.view);
  const succeeded = done.filter((r) => r.view.status === "succeeded");
  const wall = lastDone - started;
  const generated = done.reduce(
    (s, r) => s + (r.view.usage.output_tokens ?? 0) + (r.view.usage.judge_output_tokens ?? 0),
    0,
  );
  const serverLatency = done.map((r) => Date.parse(r.view.timings.finished_at) - Date.parse(r.view.timings.created_at));
  const queueLatency = done
    .filter((r) => r.view.timings.started_at)
    .map((r) => Date.parse(r.view.timings.started_at) - Date.parse(r.view.timings.created_at));
  const clientLatency = done.map((r) => r.tDone - r.t0);
  const result = {
    name: scenario.name,
    model: scenario.model,
    search: scenario.search,
    runs_requested: scenario.runs,
    submit_concurrency: opts["submit-concurrency"] || scenario.runs,
    runs_created: created.length,
    distinct_run_ids: new Set(created.map((r) => r.id)).size,
    runs_finished: done.length,
    runs_succeeded: succeeded.length,
    wall_s: round(wall / 1000, 2),
    submit_phase_s: round((submittedAt - started) / 1000, 2),
    runs_per_s: round(succeeded.length / (wall / 1000), 2),
    generated_tokens: generated,
    generated_tokens_per_s: round(generated / (wall / 1000), 1),
    total_tokens: done.reduce((s, r) => s + (r.view.usage.total_tokens ?? 0), 0),
    model_steps: done.reduce((s, r) => s + (r.view.usage.model_steps ?? 0), 0),
    submit_latency_ms: mapValues(summary(runs.filter((r) => r.postLatency !== undefined).map((r) => r.postLatency)), 1),
    completion_ms_server: mapValues(summary(serverLatency), 0),
    completion_ms_client: mapValues(summary(clientLatency), 0),
    queue_ms_server: mapValues(summary(queueLatency), 0),
    probe_ms: mapValues(summary(probed.map((p) => p.ms)), 0),
    probes_unanswered: probed.filter((p) => p.status === "unanswered" || p.status === "timeout").length,
    correct_answers: scenario.model.startsWith("embedded:")
      ? succeeded.filter((r) => String(r.view.answer).trim() === r.expected).length
      : undefined,
    post_retries: retries,
    /** Retried POSTs whose answer was the run an earlier, unanswered attempt had created. */
    retried_posts_found_their_run: runs.filter((r) => r.replayed && retries.some((x) => x.key === r.key)).length,
    idempotency_twins: dupChecks,
    failed: done
      .filter((r) => r.view.status !== "succeeded")
      .map((r) => ({ id: r.id, status: r.view.status, error: r.view.error })),
    stuck: created.filter((r) => r.stuck).map((r) => r.id),
    not_created: runs.filter((r) => !r.id).map((r) => ({ i: r.i, status: r.postStatus, error: r.postError })),
    followed_for_s: round((finishedAt - started) / 1000, 1),
  };
  result.runs = created.map((r) => ({ id: r.id, view: r.view }));
  return result;
}

function mapValues(o, d) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === "n" ? v : round(v, d)]));
}

// ---------------------------------------------------------------------------------------------
// Checks from the service's own records

async function listAll(http) {
  const ids = [];
  let cursor;
  for (let page = 0; page < 10_000; page++) {
    const res = await http.request(
      "GET",
      `/v1/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { route: "/v1/runs" },
    );
    if (res.status !== 200) throw new Error(`GET /v1/runs answered ${res.status}: ${res.text?.slice(0, 300)}`);
    for (const r of res.json.data) ids.push({ id: r.id, status: r.status });
    if (!res.json.has_more) return ids;
    cursor = res.json.next_cursor;
  }
  throw new Error("GET /v1/runs: more than 10,000 pages");
}

/** Lost, duplicated and unexpected ids of `created` in the list (`allCreated`: every run this benchmark created so far). */
function checkList(listed, created, allCreated) {
  const counts = new Map();
  for (const r of listed) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const known = new Set(allCreated);
  return {
    listed_total: listed.length,
    lost: created.filter((id) => !counts.has(id)),
    duplicated: created.filter((id) => (counts.get(id) ?? 0) > 1),
    unexpected: [...counts.keys()].filter((id) => !known.has(id)),
    not_succeeded_in_list: listed
      .filter((r) => created.includes(r.id) && r.status !== "succeeded")
      .map((r) => `${r.id} ${r.status}`),
  };
}

async function checkEvents(http, runs) {
  const problems = [];
  let events = 0;
  await pool(runs, opts["check-concurrency"], async (run) => {
    const res = await http.request("GET", `/v1/runs/${run.id}/events`, { route: "/v1/runs/:id/events" });
    if (res.status !== 200) {
      problems.push(`${run.id}: events answered ${res.status}`);
      return;
    }
    const list = parseSse(res.text);
    events += list.length;
    const ids = list.map((e) => e.id);
    const bad = ids.findIndex((id, k) => id !== k + 1);
    if (bad >= 0)
      problems.push(
        `${run.id}: event ids not 1..n (at position ${bad + 1}: ${ids.slice(Math.max(0, bad - 2), bad + 3).join(",")})`,
      );
    if (list[0]?.event !== "run.created") problems.push(`${run.id}: first event ${list[0]?.event}`);
    const terminal = list.filter((e) => /^run\.(succeeded|failed|canceled)$/.test(e.event));
    if (terminal.length !== 1) problems.push(`${run.id}: ${terminal.length} terminal events`);
    const last = list.at(-1)?.event;
    if (run.view && last !== `run.${run.view.status}`)
      problems.push(`${run.id}: last event ${last}, status ${run.view.status}`);
  });
  return { runs_checked: runs.length, events, problems };
}

async function waitForUsage(http, expected, timeoutMs = 120_000) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const res = await http.request("GET", "/v1/usage", { route: "/v1/usage" });
    const runs = res.json?.total?.runs;
    if (runs === expected || performance.now() > until) return { usage_total_runs: runs ?? null, expected };
    await sleep(1000);
  }
}

const TOKEN_FIELDS = ["input_tokens", "output_tokens", "judge_input_tokens", "judge_output_tokens"];

function checkLedger(state, keyId, runs) {
  const rows = d1Query(
    state,
    `SELECT run_id, status, input_tokens, output_tokens, judge_input_tokens, judge_output_tokens FROM usage_ledger WHERE key_id = '${keyId}'`,
  );
  const byRun = new Map();
  for (const r of rows) byRun.set(r.run_id, [...(byRun.get(r.run_id) ?? []), r]);
  const problems = [];
  for (const run of runs) {
    const got = byRun.get(run.id) ?? [];
    if (got.length !== 1) {
      problems.push(`${run.id}: ${got.length} ledger rows`);
      continue;
    }
    if (!run.view) continue;
    if (got[0].status !== run.view.status)
      problems.push(`${run.id}: ledger status ${got[0].status}, run ${run.view.status}`);
    for (const f of TOKEN_FIELDS)
      if (got[0][f] !== (run.view.usage[f] ?? null))
        problems.push(`${run.id}: ledger ${f} ${got[0][f]}, run ${run.view.usage[f]}`);
  }
  const known = new Set(runs.map((r) => r.id));
  for (const id of byRun.keys())
    if (!known.has(id)) problems.push(`${id}: a ledger row for a run the benchmark did not create`);
  return {
    rows: rows.length,
    runs: runs.length,
    problems,
    rowsOf: (ids) => ids.reduce((n, id) => n + (byRun.get(id)?.length ?? 0), 0),
  };
}

// ---------------------------------------------------------------------------------------------

function devVar(name) {
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    try {
      const m = new RegExp(`^${name}\\s*=\\s*"?([^"\\n]*)"?`, "m").exec(readFileSync(join(ROOT, file), "utf8"));
      if (m) return m[1];
    } catch {
      // no such file
    }
  }
  return undefined;
}

function scenarioList() {
  const all = {
    mock: {
      name: "mock",
      model: "mock:fixed",
      runs: opts["mock-runs"],
      search: { strategy: "stage_beam", candidates: opts["mock-candidates"], scorer: "judge" },
    },
    embedded: {
      name: "embedded",
      model: "embedded:x1-shapes-tiny",
      runs: opts["embedded-runs"],
      search:
        opts["embedded-strategy"] === "greedy"
          ? { strategy: "greedy" }
          : { strategy: opts["embedded-strategy"], candidates: opts["embedded-candidates"], scorer: "judge" },
    },
  };
  return opts.scenarios
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      if (s === "batch") return { name: "batch" };
      if (!all[s]) throw new Error(`unknown scenario ${s} (mock, embedded, batch)`);
      return all[s];
    });
}

/**
 * The batch scenario, with its own key (so the other scenarios' list and ledger checks see only
 * their runs): the batch's wall time and throughput, and interactive runs of the same key before
 * and during it.
 */
async function runBatchScenario(base, adminSecret) {
  const n = opts["batch-runs"];
  console.log(`\n# batch: ${n} greedy runs of mock:fixed in one batch, ${opts["batch-concurrency"]} at a time`);
  const created = await fetch(`${base}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminSecret}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench/load.mjs batch", rate_limit_per_minute: 100_000 }),
  }).then((r) => r.json());
  const headers = { authorization: `Bearer ${created.key}`, "content-type": "application/json" };
  const interactive = async (i) => {
    const t = performance.now();
    const res = await fetch(`${base}/v1/runs`, {
      method: "POST",
      headers: { ...headers, Prefer: "wait=60" },
      body: JSON.stringify({ model: "mock:fixed", question: `interactive ${i}`, search: { strategy: "greedy" } }),
    });
    const run = await res.json();
    return { ms: performance.now() - t, ok: run.status === "succeeded" };
  };
  const idle = [];
  for (let i = 0; i < 10; i++) idle.push(await interactive(`idle-${i}`));

  const requests = Array.from({ length: n }, (_, i) => ({
    custom_id: `b-${i}`,
    body: {
      model: "mock:fixed",
      question: `How many shapes? (${i})`,
      search: { strategy: "greedy" },
      sampling: { seed: i },
    },
  }));
  const t0 = performance.now();
  const submitted = await fetch(`${base}/v1/batches`, {
    method: "POST",
    headers,
    body: JSON.stringify({ requests, concurrency: opts["batch-concurrency"] }),
  });
  const batch = await submitted.json();
  const submitMs = performance.now() - t0;
  if (submitted.status !== 202)
    throw new Error(`POST /v1/batches answered ${submitted.status}: ${JSON.stringify(batch).slice(0, 300)}`);
  const during = [];
  let done = false;
  const probes = (async () => {
    for (let i = 0; !done; i++) {
      during.push(await interactive(`during-${i}`));
      await sleep(opts["interactive-every-ms"]);
    }
  })();
  let view;
  for (;;) {
    view = await fetch(`${base}/v1/batches/${batch.id}`, { headers }).then((r) => r.json());
    if (view.status !== "running") break;
    if (performance.now() - t0 > opts["stuck-after-s"] * 1000) break;
    await sleep(250);
  }
  const wallS = (performance.now() - t0) / 1000;
  done = true;
  await probes;
  const lines = (await fetch(`${base}/v1/batches/${batch.id}/results`, { headers }).then((r) => r.text()))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const inOrder = lines.every((l, i) => l.custom_id === `b-${i}`);
  const succeeded = lines.filter((l) => l.status === "succeeded").length;
  const distinct = new Set(lines.map((l) => l.run_id)).size;
  const idleMs = summary(idle.map((x) => x.ms));
  const duringMs = summary(during.map((x) => x.ms));
  const result = {
    name: "batch",
    runs_requested: n,
    concurrency: opts["batch-concurrency"],
    status: view.status,
    counts: view.counts,
    submit_ms: round(submitMs, 0),
    wall_s: round(wallS, 1),
    runs_per_s: round(succeeded / wallS, 1),
    results_in_order: inOrder,
    distinct_runs: distinct,
    interactive_idle_ms: idleMs,
    interactive_during_ms: duringMs,
    interactive_failed: [...idle, ...during].filter((x) => !x.ok).length,
  };
  console.log(
    `# batch: ${view.status} ${JSON.stringify(view.counts)} in ${result.wall_s} s (${result.runs_per_s} runs/s); interactive runs p50 idle ${ms(idleMs.p50)}, during ${ms(duringMs.p50)} (p99 ${ms(duringMs.p99)}, ${during.length} runs)`,
  );
  return result;
}

function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    cores: cpus.length,
    cpu: cpus[0]?.model ?? "unknown",
    memory_gib: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    load_avg_at_start: os.loadavg().map((v) => round(v, 2)),
  };
}

function printTables(results) {
  const m = results.machine;
  console.log(`\n## Load (bench/load.mjs)\n`);
  console.log(
    `Machine: Node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB; load average at start ${m.load_avg_at_start.join(" / ")}, at end ${m.load_avg_at_end.join(" / ")}. ` +
      `Service: \`wrangler dev --local\` (workerd), fresh state, one API key (rate limit 100,000/min); client: Node fetch on 127.0.0.1, same machine.\n`,
  );
  console.log(
    "| scenario | runs | POSTs at once | wall | runs/s | generated tok/s | POST p50 / p99 | completion p50 / p90 / p99 / max (server) | client-seen p50 / p99 | queued p50 / max | GET /v1/models meanwhile p50 / max | HTTP other than 2xx |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const s of results.scenarios) {
    const c = s.completion_ms_server;
    const http =
      Object.entries(s.http)
        .filter(([k]) => !/ 20[0-9]$/.test(k))
        .map(([k, v]) => `${k}×${v}`)
        .join(", ") || "none";
    console.log(
      `| ${s.name}: \`${s.model}\` ${s.search.strategy}${s.search.candidates ? ` N=${s.search.candidates} ${s.search.scorer}` : ""}${s.name === "mock" ? `, ${results.config["mock-latency-ms"]} ms/call` : ""} | ${s.runs_succeeded}/${s.runs_requested} | ${s.submit_concurrency} | ${s.wall_s} s | ${s.runs_per_s} | ${s.generated_tokens_per_s} (${s.generated_tokens} tok) | ${ms(s.submit_latency_ms.p50)} / ${ms(s.submit_latency_ms.p99)} | ${ms(c.p50)} / ${ms(c.p90)} / ${ms(c.p99)} / ${ms(c.max)} | ${ms(s.completion_ms_client.p50)} / ${ms(s.completion_ms_client.p99)} | ${ms(s.queue_ms_server.p50)} / ${ms(s.queue_ms_server.max)} | ${ms(s.probe_ms.p50)} / ${ms(s.probe_ms.max)}${s.probes_unanswered ? ` (${s.probes_unanswered} of ${s.probe_ms.n} unanswered)` : ""} | ${http} |`,
    );
  }
  console.log(
    "\n| scenario | created (distinct ids) | lost | duplicated | unexpected in list | stuck | failed | idempotent twins (same id) | POST retries | events checked (runs / events / problems) | ledger rows |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const s of results.scenarios) {
    const l = s.checks.list;
    const twins = s.idempotency_twins;
    console.log(
      `| ${s.name} | ${s.runs_created} (${s.distinct_run_ids}) | ${l.lost.length} | ${l.duplicated.length} | ${l.unexpected.length} | ${s.stuck.length} | ${s.failed.length} | ${twins.filter((t) => t.first === t.second).length}/${twins.filter((t) => t.second !== null).length} answered | ${s.post_retries.length}${s.post_retries.length ? ` (${s.retried_posts_found_their_run} found the run an unanswered attempt made)` : ""} | ${s.checks.events.runs_checked} / ${s.checks.events.events} / ${s.checks.events.problems.length} | ${s.checks.ledger_rows ?? "–"} |`,
    );
  }
  const b = results.batch;
  if (b) {
    console.log(
      `\n| batch | concurrency | POST /v1/batches | wall | runs/s | results | interactive run (same key) p50 / p99, idle | during the batch | during ÷ idle (p50) |`,
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    console.log(
      `| ${b.runs_requested} greedy runs of \`mock:fixed\`, ${results.config["mock-latency-ms"]} ms/call | ${b.concurrency} | ${ms(b.submit_ms)} | ${b.wall_s} s | ${b.runs_per_s} | ${b.counts.succeeded}/${b.runs_requested} succeeded, ${b.results_in_order ? "in order" : "NOT in order"}, ${b.distinct_runs} distinct runs | ${ms(b.interactive_idle_ms.p50)} / ${ms(b.interactive_idle_ms.p99)} | ${ms(b.interactive_during_ms.p50)} / ${ms(b.interactive_during_ms.p99)} (${b.interactive_during_ms.n} runs) | ${(b.interactive_during_ms.p50 / b.interactive_idle_ms.p50).toFixed(2)}× |`,
    );
  }
  const L = results.ledger;
  console.log(
    `\nLedger (D1 usage_ledger, read after the service stopped): ${L.rows} rows for ${L.runs} runs, ${L.problems.length} problems; GET /v1/usage counted ${results.usage.usage_total_runs} runs (expected ${results.usage.expected}). ` +
      `Total wall time ${results.total_s} s (service ready in ${results.service_ready_s} s). Verdict: **${results.ok ? "PASS" : "FAIL"}**${results.ok ? "" : ` (${results.failures.join("; ")})`}.`,
  );
}

async function main() {
  const t0 = performance.now();
  setTimeout(() => {
    console.error(`# bench/load.mjs did not finish in ${opts["max-minutes"]} minutes: giving up`);
    process.exit(2); // the service's process group is killed on exit (test/reliability/service.mjs)
  }, opts["max-minutes"] * 60_000).unref();
  const results = { started_at: new Date().toISOString(), machine: machine(), config: { ...opts } };
  const scenarios = scenarioList();
  const state = mkdtempSync(join(os.tmpdir(), "x1-load-state-"));
  let service;
  try {
    prepareState(state);
    const vars = {
      MOCK_LATENCY_MS: String(opts["mock-latency-ms"]),
      BATCH_KEY_CONCURRENCY: String(opts["batch-concurrency"]),
      // As deployed: .dev.vars turns response checking on for local development.
      VALIDATE_RESPONSES: "0",
    };
    service = await startService({ state, port: await freePort(), vars });
    results.service_ready_s = round(service.readyMs / 1000, 2);
    console.log(`# service ready in ${results.service_ready_s} s at ${service.url}`);

    const adminSecret = devVar("ADMIN_SECRET");
    if (!adminSecret)
      throw new Error(
        "no ADMIN_SECRET in .dev.vars / .dev.vars.example: the benchmark creates its own API key through /admin/keys",
      );
    mkdirSync(join(opts.out, ".."), { recursive: true });
    const admin = await fetch(`${service.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminSecret}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "bench/load.mjs", rate_limit_per_minute: 100_000 }),
    });
    const key = await admin.json();
    if (admin.status !== 201) throw new Error(`POST /admin/keys answered ${admin.status}: ${JSON.stringify(key)}`);
    const http = new Http(service.url, key.key);
    const nonce = createHash("sha256").update(randomUUID()).digest("hex").slice(0, 8);

    results.scenarios = [];
    const allRuns = [];
    // The batch goes first, on its own key, so the run scenarios' checks see only their own runs.
    if (scenarios.some((x) => x.name === "batch")) results.batch = await runBatchScenario(service.url, adminSecret);
    for (const scenario of scenarios.filter((x) => x.name !== "batch")) {
      const r = await runScenario(http, scenario, nonce);
      allRuns.push(...r.runs);
      const createdIds = r.runs.map((x) => x.id);
      r.checks = {
        list: checkList(
          await listAll(http),
          createdIds,
          allRuns.map((x) => x.id),
        ),
        events: await checkEvents(http, r.runs),
      };
      r.http = http.take();
      r.anomalies = http.anomalies.splice(0);
      results.scenarios.push(r);
      console.log(
        `# ${scenario.name}: ${r.runs_succeeded}/${r.runs_requested} succeeded in ${r.wall_s} s; checks: ${r.checks.list.lost.length} lost, ${r.checks.list.duplicated.length} duplicated, ${r.stuck.length} stuck, ${r.failed.length} failed, ${r.checks.events.problems.length} event problems`,
      );
    }
    results.usage = await waitForUsage(http, allRuns.length);
    const log = service.log();
    mkdirSync(join(LOG, ".."), { recursive: true });
    writeFileSync(LOG, log);
    // (wrangler's own look-ups of workers.cloudflare.com fail offline: not the service's errors)
    results.service_log_errors = log
      .split("\n")
      .filter((l) => /\b(error|uncaught|exception)\b/i.test(l) && !/ENOTFOUND workers\.cloudflare\.com/.test(l))
      .slice(0, 50);
    await service.kill("SIGTERM");
    service = undefined;
    const { rowsOf, ...ledger } = checkLedger(state, key.id, allRuns);
    results.ledger = ledger;
    for (const s of results.scenarios) s.checks.ledger_rows = rowsOf(s.runs.map((r) => r.id));
  } finally {
    await service?.kill("SIGTERM");
    rmSync(state, { recursive: true, force: true });
  }
  results.machine.load_avg_at_end = os.loadavg().map((v) => round(v, 2));
  results.total_s = round((performance.now() - t0) / 1000, 1);

  const failures = [];
  for (const s of results.scenarios) {
    const l = s.checks.list;
    if (s.not_created.length) failures.push(`${s.name}: ${s.not_created.length} POSTs created no run`);
    if (s.distinct_run_ids !== s.runs_created)
      failures.push(`${s.name}: ${s.runs_created - s.distinct_run_ids} run ids handed out twice`);
    if (l.lost.length) failures.push(`${s.name}: ${l.lost.length} lost`);
    if (l.duplicated.length) failures.push(`${s.name}: ${l.duplicated.length} duplicated in the list`);
    if (l.unexpected.length) failures.push(`${s.name}: ${l.unexpected.length} unexpected runs in the list`);
    if (s.stuck.length) failures.push(`${s.name}: ${s.stuck.length} stuck`);
    if (s.failed.length) failures.push(`${s.name}: ${s.failed.length} failed`);
    if (s.idempotency_twins.some((t) => t.second !== null && t.first !== t.second))
      failures.push(`${s.name}: an Idempotency-Key made two runs`);
    if (s.checks.events.problems.length) failures.push(`${s.name}: ${s.checks.events.problems.length} event problems`);
  }
  if (results.ledger.problems.length) failures.push(`ledger: ${results.ledger.problems.length} problems`);
  const b = results.batch;
  if (b) {
    if (b.status !== "completed" || b.counts.succeeded !== b.runs_requested)
      failures.push(`batch: ${b.status} with ${JSON.stringify(b.counts)}`);
    if (!b.results_in_order) failures.push("batch: results not in input order");
    if (b.distinct_runs !== b.runs_requested) failures.push(`batch: ${b.distinct_runs} distinct runs`);
    if (b.interactive_failed) failures.push(`batch: ${b.interactive_failed} interactive runs failed`);
  }
  if (results.usage.usage_total_runs !== results.usage.expected)
    failures.push(`GET /v1/usage counted ${results.usage.usage_total_runs} runs, expected ${results.usage.expected}`);
  results.failures = failures;
  results.ok = failures.length === 0;

  const json = { ...results, scenarios: results.scenarios.map(({ runs: _runs, ...s }) => s) };
  mkdirSync(join(opts.out, ".."), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(json, null, 2)}\n`);
  printTables(results);
  for (const s of results.scenarios) {
    for (const f of s.failed.slice(0, 10))
      console.log(`# ${s.name}: run ${f.id} ${f.status}: ${JSON.stringify(f.error)}`);
    for (const p of s.checks.events.problems.slice(0, 10)) console.log(`# ${s.name}: ${p}`);
    for (const n of s.not_created.slice(0, 10))
      console.log(`# ${s.name}: run ${n.i} not created: ${n.status} ${n.error}`);
    for (const a of s.anomalies.slice(0, 10))
      console.log(
        `# ${s.name}: at ${a.at_s} s ${a.method} ${a.path} → ${a.status} after ${a.ms} ms${a.detail ? `: ${a.detail}` : ""}`,
      );
  }
  for (const p of results.ledger.problems.slice(0, 10)) console.log(`# ledger: ${p}`);
  if (results.service_log_errors.length)
    console.log(
      `# the service logged ${results.service_log_errors.length} error lines (first: ${results.service_log_errors[0]})`,
    );
  console.log(`# results: ${opts.out}; the service's log: ${LOG}`);
  // Exit now: a probe left unanswered by the dev server would otherwise hold the process until its timer.
  process.exit(results.ok ? 0 : 1);
}

await main();
