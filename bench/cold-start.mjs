#!/usr/bin/env node
/**
 * Cold start, in two parts.
 *
 * (a) What a deploy uploads: `wrangler deploy --dry-run --outdir <tmp>` (no account or network
 *     needed) builds the Worker bundle; its "Total Upload: X KiB / gzip: Y KiB" line is the
 *     Worker's size as Cloudflare counts it against the script size limit, and each module in the
 *     outdir is listed with its raw and gzip size. The static assets (public/, including the
 *     model-shards symlink: the embedded model's manifest, graphs and weight shards) are uploaded
 *     separately and counted apart: every file's bytes and its gzip size (node:zlib, level 9).
 *
 * (b) First-request latency: the real local service (`wrangler dev --local`) started fresh — new
 *     process, new state directory — and timed from spawning wrangler to its "Ready" line; then the
 *     first request, end to end (POST /v1/runs with `Prefer: wait=60`, until the finished run comes
 *     back). For `embedded:x1-shapes-tiny` (greedy, a committed sample image) the first request
 *     includes loading the model: fetching the manifest and shards from the assets binding, the
 *     hash check, building the model on the x1 engine. A second identical request (another run) on
 *     the same process gives the warm figure. The same for `mock:fixed` (greedy, no model to load,
 *     MOCK_LATENCY_MS = 20 per call): the first request's overhead without a model. Each is a
 *     separate cold cycle (a process whose first request it is), repeated `--cycles` times (5);
 *     medians are reported, and the median of each cycle's own first ÷ second (the two requests of
 *     one process are a pair; this machine's speed drifts between cycles).
 *
 * Run:    node bench/cold-start.mjs [--cycles 5]
 * Writes: bench/results/cold-start.json, and prints markdown tables.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";
import { DEV_KEY, ROOT, freePort, prepareState, startService } from "../test/reliability/service.mjs";

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  return process.env[`COLD_${name.toUpperCase().replaceAll("-", "_")}`] ?? def;
};
const CYCLES = Number(arg("cycles", 5));
const OUT = arg("out", join(ROOT, "bench", "results", "cold-start.json"));
const MOCK_LATENCY_MS = 20;
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" };
const SAMPLE = JSON.parse(readFileSync(join(ROOT, "data", "x1-shapes", "samples", "samples.json"), "utf8"))[0];
const IMAGE = readFileSync(join(ROOT, "data", "x1-shapes", "samples", SAMPLE.image)).toString("base64");

const KiB = 1024;
const kib = (bytes) => `${(bytes / KiB).toFixed(1)} KiB`;
const median = (values) => {
  const v = values.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const fmtMs = (v) =>
  v === null || v === undefined ? "–" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

// ---------------------------------------------------------------------------------------------
// (a) The deploy bundle and the assets

function bundle() {
  const outdir = mkdtempSync(join(os.tmpdir(), "x1-dry-run-"));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir], {
      cwd: ROOT,
      env: ENV,
      encoding: "utf8",
      timeout: 300_000,
      maxBuffer: 64 << 20,
    });
    const buildMs = performance.now() - t0;
    const output = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status ?? r.signal}):\n${output}`);
    const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
    if (!m) throw new Error(`no "Total Upload: … / gzip: …" line in wrangler's output:\n${output}`);
    const assetsLine = /Read (\d+) files? from the assets directory/.exec(output);
    const modules = readdirSync(outdir)
      .filter((f) => !f.endsWith(".map") && f !== "README.md")
      .map((f) => {
        const bytes = readFileSync(join(outdir, f));
        return { file: f.replace(/^[0-9a-f]{40}-/, ""), bytes: bytes.length, gzip_bytes: gz(bytes) };
      });
    return {
      command: "wrangler deploy --dry-run --outdir <tmp>",
      build_ms: Math.round(buildMs),
      total_upload_kib: Number(m[1]),
      total_upload_gzip_kib: Number(m[2]),
      assets_files_read_by_wrangler: assetsLine ? Number(assetsLine[1]) : null,
      modules,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every file under public/, following symlinks (public/model-shards → ../model-shards). */
function assets() {
  const dir = join(ROOT, "public");
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p); // follows symlinks
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const bytes = readFileSync(p);
        files.push({ path: relative(dir, p), bytes: bytes.length, gzip_bytes: gz(bytes) });
      }
    }
  };
  walk(dir);
  const sum = (list, f) => list.reduce((s, x) => s + x[f], 0);
  const model = files.filter((f) => f.path.startsWith("model-shards/"));
  const other = files.filter((f) => !f.path.startsWith("model-shards/"));
  return {
    directory: "public/",
    files: files.length,
    bytes: sum(files, "bytes"),
    gzip_bytes: sum(files, "gzip_bytes"),
    largest_file_bytes: Math.max(...files.map((f) => f.bytes)),
    model_shards: {
      files: model.length,
      bytes: sum(model, "bytes"),
      gzip_bytes: sum(model, "gzip_bytes"),
      each: model,
    },
    other: { files: other.length, bytes: sum(other, "bytes"), gzip_bytes: sum(other, "gzip_bytes") },
  };
}

// ---------------------------------------------------------------------------------------------
// (b) First-request latency

async function runOnce(base, model, seed) {
  const body = {
    question: SAMPLE.question,
    model,
    image: { data: IMAGE, media_type: "image/png" },
    search: { strategy: "greedy" },
    sampling: { seed },
  };
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json", prefer: "wait=60" },
    body: JSON.stringify(body),
  });
  const view = await res.json();
  const ms = performance.now() - t0;
  if (res.status !== 200 || view.status !== "succeeded")
    throw new Error(
      `${model}: POST /v1/runs answered ${res.status} ${view.status ?? ""}: ${JSON.stringify(view.error ?? view).slice(0, 500)}`,
    );
  return {
    ms: Math.round(ms),
    queued_ms: Date.parse(view.timings.started_at) - Date.parse(view.timings.created_at),
    run_ms: view.timings.duration_ms,
    backend_ms: view.usage.backend_ms,
    output_tokens: view.usage.output_tokens,
    answer: view.answer,
  };
}

async function coldCycle(model) {
  const state = mkdtempSync(join(os.tmpdir(), "x1-cold-state-"));
  let service;
  try {
    const t0 = performance.now();
    prepareState(state);
    const migrationsMs = performance.now() - t0;
    // As deployed: no response checking (VALIDATE_RESPONSES, which .dev.vars turns on for local
    // development, builds the OpenAPI document and its validators on the first response).
    service = await startService({
      state,
      port: await freePort(),
      vars: { MOCK_LATENCY_MS: String(MOCK_LATENCY_MS), VALIDATE_RESPONSES: "0" },
    });
    const first = await runOnce(service.url, model, 7);
    const second = await runOnce(service.url, model, 7);
    return {
      model,
      migrations_ms: Math.round(migrationsMs),
      spawn_to_ready_ms: Math.round(service.readyMs),
      first,
      second,
    };
  } finally {
    await service?.kill("SIGTERM");
    rmSync(state, { recursive: true, force: true });
  }
}

function printTables(r) {
  const m = r.machine;
  console.log(`\n## Cold start (bench/cold-start.mjs)\n`);
  console.log(
    `Machine: Node ${m.node}, ${m.cores} cores (${m.cpu}); load average at start ${m.load_avg_at_start.join(" / ")}. wrangler ${r.wrangler}.\n`,
  );
  const b = r.bundle;
  console.log("| what a deploy uploads | raw | gzip |");
  console.log("|---|---|---|");
  console.log(
    `| Worker bundle (wrangler's "Total Upload") | ${b.total_upload_kib} KiB | ${b.total_upload_gzip_kib} KiB |`,
  );
  for (const mod of b.modules) console.log(`| · ${mod.file} | ${kib(mod.bytes)} | ${kib(mod.gzip_bytes)} |`);
  const a = r.assets;
  console.log(
    `| Static assets (public/, ${a.files} files, uploaded apart from the Worker) | ${kib(a.bytes)} | ${kib(a.gzip_bytes)} |`,
  );
  console.log(
    `| · model shards (public/model-shards → model-shards/, ${a.model_shards.files} files) | ${kib(a.model_shards.bytes)} | ${kib(a.model_shards.gzip_bytes)} |`,
  );
  for (const f of a.model_shards.each) console.log(`| · · ${f.path} | ${kib(f.bytes)} | ${kib(f.gzip_bytes)} |`);
  console.log(`| · everything else (playground, docs, samples) | ${kib(a.other.bytes)} | ${kib(a.other.gzip_bytes)} |`);
  console.log(
    `\nBuild (\`wrangler deploy --dry-run\`): ${fmtMs(b.build_ms)}. Largest single asset: ${kib(a.largest_file_bytes)}.\n`,
  );

  console.log(
    `| first request on a fresh process (median of ${r.cycles}) | spawn → ready | first request | second request (warm) | first ÷ second (per cycle) | first: queued / run / backend | second: backend |`,
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const [model, s] of Object.entries(r.medians)) {
    console.log(
      `| \`${model}\` greedy, sample image | ${fmtMs(s.spawn_to_ready_ms)} | ${fmtMs(s.first_ms)} | ${fmtMs(s.second_ms)} | ${s.first_over_second.toFixed(2)} | ${fmtMs(s.first_queued_ms)} / ${fmtMs(s.first_run_ms)} / ${fmtMs(s.first_backend_ms)} | ${fmtMs(s.second_backend_ms)} |`,
    );
  }
  console.log(
    `\nEach cycle (ms): ${r.cycle_results.map((c) => `${c.model}: ready ${c.spawn_to_ready_ms}, first ${c.first.ms}, second ${c.second.ms}`).join("; ")}.`,
  );
  console.log(
    `(Migrations on a new state directory, before each start: median ${fmtMs(median(r.cycle_results.map((c) => c.migrations_ms)))}, not included above.) Total wall time ${r.total_s} s.`,
  );
}

async function main() {
  const t0 = performance.now();
  const cpus = os.cpus();
  const wranglerVersion = JSON.parse(
    readFileSync(join(ROOT, "node_modules", "wrangler", "package.json"), "utf8"),
  ).version;
  const r = {
    started_at: new Date().toISOString(),
    machine: {
      node: process.version,
      cores: cpus.length,
      cpu: cpus[0]?.model ?? "unknown",
      load_avg_at_start: os.loadavg().map((v) => Number(v.toFixed(2))),
    },
    wrangler: wranglerVersion,
    cycles: CYCLES,
  };
  console.log("# wrangler deploy --dry-run …");
  r.bundle = bundle();
  r.assets = assets();
  r.cycle_results = [];
  for (let k = 0; k < CYCLES; k++) {
    for (const model of ["embedded:x1-shapes-tiny", "mock:fixed"]) {
      const c = await coldCycle(model);
      console.log(
        `# cycle ${k + 1}/${CYCLES} ${model}: ready ${c.spawn_to_ready_ms} ms, first ${c.first.ms} ms, second ${c.second.ms} ms`,
      );
      r.cycle_results.push(c);
    }
  }
  r.medians = {};
  for (const model of ["embedded:x1-shapes-tiny", "mock:fixed"]) {
    const cs = r.cycle_results.filter((c) => c.model === model);
    r.medians[model] = {
      spawn_to_ready_ms: median(cs.map((c) => c.spawn_to_ready_ms)),
      first_ms: median(cs.map((c) => c.first.ms)),
      second_ms: median(cs.map((c) => c.second.ms)),
      first_queued_ms: median(cs.map((c) => c.first.queued_ms)),
      first_run_ms: median(cs.map((c) => c.first.run_ms)),
      first_backend_ms: median(cs.map((c) => c.first.backend_ms)),
      second_backend_ms: median(cs.map((c) => c.second.backend_ms)),
      // First and second of one process are a pair: the cold cost is their ratio within a cycle.
      first_over_second: Number(median(cs.map((c) => c.first.ms / c.second.ms)).toFixed(2)),
    };
  }
  r.machine.load_avg_at_end = os.loadavg().map((v) => Number(v.toFixed(2)));
  r.total_s = Number(((performance.now() - t0) / 1000).toFixed(1));
  mkdirSync(join(OUT, ".."), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(r, null, 2)}\n`);
  printTables(r);
  console.log(`# results: ${OUT}`);
}

await main();
