#!/usr/bin/env node
// x1: the LLaVA-X1 Edge API from a terminal, on the typed client (../src/index.mjs).
//   X1_API_KEY=sk_… npx x1 ask image.png "How many red circles are there?"
// `npx x1 help` lists every command. X1_BASE_URL (default http://localhost:8787) picks the service.
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { X1Error, createX1Client } from "../src/index.mjs";

const HELP = `x1 — ask LLaVA-X1 Edge about images

usage:
  x1 ask IMAGE "QUESTION" [--model ID] [--strategy stage_beam|greedy|best_of_n] [--n N] [--keep B]
                          [--scorer judge|logprob|vote|verifier] [--seed S] [--cache] [--timeout SECONDS] [--json]
  x1 fork RUN_ID --from SUMMARY|CAPTION|REASONING|CONCLUSION [--model ID] [--strategy …] [--n N]
                          [--keep B] [--scorer …] [--seed S] [--timeout SECONDS] [--json]
  x1 batch submit FILE.jsonl|FILE.json [--concurrency N] [--wait] [--json]
  x1 batch get|cancel BATCH_ID [--json]
  x1 batch results BATCH_ID         (JSONL, one line per request, in input order)
  x1 runs list [--limit N] [--cursor C] [--json]
  x1 runs get RUN_ID [--json]
  x1 runs cancel RUN_ID [--json]
  x1 runs events RUN_ID [--after N] [--json]
  x1 models [--json]
  x1 usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]

environment:
  X1_API_KEY    the API key (Authorization: Bearer …); locally, the development key of .dev.vars
  X1_BASE_URL   the service (default http://localhost:8787)

ask follows the run live: each stage, its candidates and its judge matches as they come, then the
answer and what it cost. --json prints the finished run as JSON instead (for scripts). --cache
answers from an earlier run of yours with the same image, question, model, search and seed, if
one succeeded (no model call, no tokens billed). fork reruns a run from a stage on, taking its
earlier stages as they were; search flags left out keep the parent's. batch submit takes one
{"custom_id", "body"} per line (a body is a POST /v1/runs request), or a JSON {"requests": [...]}.`;

function parseArgs(argv) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) positional.push(a);
    else if (["--json", "--help", "--cache", "--wait"].includes(a)) flags[a.slice(2)] = true;
    else flags[a.slice(2)] = argv[++i];
  }
  return { positional, flags };
}

class UsageError extends Error {}

const int = (value, name) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value);
};

const out = (text) => process.stdout.write(`${text}\n`);
const short = (text, n = 100) => {
  const one = String(text).replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** A one-line progress indicator on a terminal; nothing when stderr is not one. */
function progress() {
  if (!process.stderr.isTTY) return { update() {}, clear() {}, stop() {} };
  const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
  const started = Date.now();
  let label = "starting";
  let n = 0;
  const draw = () => {
    process.stderr.write(
      `\r\x1b[2K${frames[n++ % frames.length]} ${label} · ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  };
  const timer = setInterval(draw, 100);
  return {
    update(text) {
      label = text;
    },
    clear() {
      process.stderr.write("\r\x1b[2K");
    },
    stop() {
      clearInterval(timer);
      process.stderr.write("\r\x1b[2K");
    },
  };
}

function imageOf(path) {
  const types = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg" };
  const media_type = types[extname(path).toLowerCase()];
  if (!media_type) throw new UsageError(`${path}: the image must be a .png, .jpg or .jpeg file`);
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
  return { data: bytes.toString("base64"), media_type };
}

function describeEvent(e) {
  const d = e.data;
  switch (e.type) {
    case "stage.started":
      return `${d.stage}: ${d.candidates} candidate${d.candidates === 1 ? "" : "s"}${d.prefixes > 1 ? ` × ${d.prefixes} prefixes` : ""}, ${d.scorer === "none" ? "greedy" : `scored by ${d.scorer}`}`;
    case "candidate.generated":
      return `  · ${d.step}${d.valid ? "" : " (invalid)"}: ${short(d.text)}`;
    case "selfcheck.decided":
      return `  ✓ self-check ${d.candidate}: ${d.verdict}`;
    case "judge.decided":
      return `  ⚖ round ${d.round} match ${d.match}: ${d.first} vs ${d.second} → ${d.winner} (${d.decided_by})`;
    case "stage.completed":
      return `✔ ${d.stage}: ${short(d.text, 200)}`;
    default:
      return undefined;
  }
}

function printRun(run) {
  out(`run ${run.id} (${run.model}): ${run.status}`);
  if (run.cached_from) out(`cached: the result of ${run.cached_from} (no model call)`);
  if (run.forked_from) out(`forked from ${run.forked_from.run_id} at ${run.forked_from.from}`);
  if (run.answer !== null) out(`answer: ${run.answer}`);
  if (run.error) out(`error: ${run.error.code}: ${run.error.message}`);
  const u = run.usage;
  const tokens = u.total_tokens === undefined ? "tokens unknown" : `${u.total_tokens} tokens`;
  const cost = u.cost_usd === undefined ? "" : `, $${u.cost_usd.toFixed(6)}`;
  out(
    `usage: ${tokens} (${u.model_steps} model steps, ${u.backend_ms} ms of backend time${cost})${u.estimated ? ", estimated" : ""}`,
  );
  if (u.reused?.stages.length) out(`reused: ${u.reused.stages.join(", ")} of ${u.reused.run_id}, not billed again`);
}

/** The search flags given (none: undefined, so a fork keeps its parent's search). */
function searchOf(flags) {
  const search = {};
  if (flags.strategy) search.strategy = flags.strategy;
  if (flags.n !== undefined) search.candidates = int(flags.n, "n");
  if (flags.keep !== undefined) search.keep = int(flags.keep, "keep");
  if (flags.scorer) search.scorer = flags.scorer;
  return Object.keys(search).length > 0 ? search : undefined;
}

async function ask(x1, [imagePath, question], flags) {
  if (!imagePath || !question) throw new UsageError('ask needs an image and a question: x1 ask IMAGE "QUESTION"');
  const body = { question, image: imageOf(imagePath), search: searchOf(flags) ?? {} };
  if (flags.model) body.model = flags.model;
  if (flags.seed !== undefined) body.sampling = { seed: int(flags.seed, "seed") };
  if (flags.cache) body.cache = "reuse";
  return follow(x1, await x1.createRun(body), flags);
}

async function fork(x1, [id], flags) {
  if (!id || !flags.from) throw new UsageError("fork needs a run id and a stage: x1 fork RUN_ID --from REASONING");
  const body = { from: flags.from };
  const search = searchOf(flags);
  if (search) body.search = search;
  if (flags.model) body.model = flags.model;
  if (flags.seed !== undefined) body.sampling = { seed: int(flags.seed, "seed") };
  const started = await x1.forkRun(id, body);
  if (!flags.json) out(`fork of ${id} from ${flags.from}`);
  return follow(x1, started, flags);
}

/** Show a run live (or, with --json, print it once finished); a finished run is printed at once. */
async function follow(x1, started, flags) {
  const timeoutMs = (int(flags.timeout, "timeout") ?? 600) * 1000;
  if (flags.json) {
    out(JSON.stringify("trace" in started ? started : await x1.waitForRun(started.id, { timeoutMs }), null, 2));
    return;
  }
  out(`run ${started.id} (${started.model}, seed ${"seed" in started ? started.seed : started.sampling.seed})`);
  const bar = progress();
  let steps = 0;
  let stage = "";
  try {
    for await (const e of x1.events(started.id)) {
      if (e.type === "stage.started") stage = e.data.stage;
      if (["candidate.generated", "selfcheck.decided", "judge.decided"].includes(e.type)) steps++;
      const line = describeEvent(e);
      if (line) {
        bar.clear();
        out(line);
      }
      bar.update(`${stage || "queued"} · ${steps} steps`);
    }
  } finally {
    bar.stop();
  }
  const run = await x1.getRun(started.id);
  printRun(run);
  if (run.status !== "succeeded") process.exitCode = 1;
}

async function runs(x1, [sub, id], flags) {
  const json = (v) => out(JSON.stringify(v, null, 2));
  if (sub === "list") {
    const page = await x1.listRuns({
      ...(flags.limit ? { limit: String(int(flags.limit, "limit")) } : {}),
      ...(flags.cursor ? { cursor: flags.cursor } : {}),
    });
    if (flags.json) return json(page);
    for (const r of page.data) out(`${r.id}  ${r.status.padEnd(9)}  ${r.model}  ${r.created_at}`);
    if (page.next_cursor) out(`more: x1 runs list --cursor ${page.next_cursor}`);
    return;
  }
  if (!id) throw new UsageError(`runs ${sub ?? ""} needs a run id`);
  if (sub === "get") {
    const run = await x1.getRun(id);
    return flags.json ? json(run) : printRun(run);
  }
  if (sub === "cancel") {
    const run = await x1.cancelRun(id);
    return flags.json ? json(run) : printRun(run);
  }
  if (sub === "events") {
    for await (const e of x1.events(id, { after: int(flags.after, "after") ?? 0 })) {
      out(flags.json ? JSON.stringify(e) : `${e.id} ${e.type} ${short(JSON.stringify(e.data), 160)}`);
    }
    return;
  }
  throw new UsageError(`unknown command: runs ${sub ?? ""} (list, get, cancel, events)`);
}

/** A batch file: JSONL (one {custom_id, body} per line) or JSON ({requests} or an array of them). */
function readBatchFile(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  }
  const parse = (s, where) => {
    try {
      return JSON.parse(s);
    } catch (err) {
      throw new UsageError(`${path}${where}: not JSON (${err.message})`);
    }
  };
  if (extname(path).toLowerCase() === ".json") {
    const value = parse(text, "");
    return Array.isArray(value) ? { requests: value } : value;
  }
  const requests = text
    .split(/\r?\n/)
    .map((line, i) => [line, i + 1])
    .filter(([line]) => line.trim() !== "")
    .map(([line, n]) => parse(line, `:${n}`));
  return { requests };
}

const countsLine = (b) =>
  `${b.counts.succeeded} succeeded, ${b.counts.failed} failed, ${b.counts.canceled} canceled, ${b.counts.running} running, ${b.counts.pending} pending of ${b.counts.total}`;

async function batch(x1, [sub, arg], flags) {
  const json = (v) => out(JSON.stringify(v, null, 2));
  if (sub === "submit") {
    if (!arg) throw new UsageError("batch submit needs a file: x1 batch submit requests.jsonl");
    const body = readBatchFile(arg);
    if (flags.concurrency !== undefined) body.concurrency = int(flags.concurrency, "concurrency");
    let b = await x1.createBatch(body);
    if (!flags.json) out(`batch ${b.id}: ${b.counts.total} requests, ${b.concurrency} at a time`);
    if (flags.wait) {
      const bar = flags.json ? { update() {}, stop() {} } : progress();
      try {
        b = await x1.waitForBatch(b.id, { onProgress: (p) => bar.update(countsLine(p)) });
      } finally {
        bar.stop();
      }
    }
    return flags.json ? json(b) : out(`${b.status}: ${countsLine(b)}`);
  }
  if (!arg) throw new UsageError(`batch ${sub ?? ""} needs a batch id`);
  if (sub === "get" || sub === "cancel") {
    const b = sub === "get" ? await x1.getBatch(arg) : await x1.cancelBatch(arg);
    return flags.json ? json(b) : out(`batch ${b.id}: ${b.status}: ${countsLine(b)}`);
  }
  if (sub === "results") {
    for (const line of await x1.batchResults(arg)) out(JSON.stringify(line));
    return;
  }
  throw new UsageError(`unknown command: batch ${sub ?? ""} (submit, get, results, cancel)`);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { positional, flags } = parseArgs(rest);
  if (!command || command === "help" || flags.help) return out(HELP);
  const apiKey = process.env.X1_API_KEY;
  if (!apiKey) throw new UsageError("set X1_API_KEY to your API key (locally: the DEV_API_KEY of .dev.vars)");
  const x1 = createX1Client({ baseUrl: process.env.X1_BASE_URL ?? "http://localhost:8787", apiKey });
  switch (command) {
    case "ask":
      return ask(x1, positional, flags);
    case "runs":
      return runs(x1, positional, flags);
    case "fork":
      return fork(x1, positional, flags);
    case "batch":
      return batch(x1, positional, flags);
    case "models": {
      const list = await x1.listModels();
      if (flags.json) return out(JSON.stringify(list, null, 2));
      for (const m of list.data) out(`${m.id.padEnd(40)} ${m.status}${m.error ? `: ${m.error}` : ""}`);
      return;
    }
    case "usage": {
      const u = await x1.usage({ ...(flags.from ? { from: flags.from } : {}), ...(flags.to ? { to: flags.to } : {}) });
      if (flags.json) return out(JSON.stringify(u, null, 2));
      out(`${u.from} … ${u.to}: ${u.total.runs} runs, $${u.total.cost_usd.toFixed(6)}`);
      for (const d of u.data) out(`  ${d.day}  ${d.model.padEnd(36)} ${d.runs} runs  $${d.cost_usd.toFixed(6)}`);
      if (u.budget) out(`budget: $${u.budget.remaining_usd.toFixed(6)} left of $${u.budget.budget_usd}`);
      return;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; x1 help lists them`);
  }
}

main().catch((err) => {
  if (err instanceof UsageError) console.error(`x1: ${err.message}`);
  else if (err instanceof X1Error) console.error(`x1: ${err.status} ${err.code ?? err.type ?? ""}: ${err.message}`);
  else if (err?.cause?.code === "ECONNREFUSED")
    console.error(
      `x1: cannot reach ${process.env.X1_BASE_URL ?? "http://localhost:8787"} (is the service running? npm start)`,
    );
  else console.error(`x1: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
