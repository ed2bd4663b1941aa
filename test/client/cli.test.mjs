// `x1`, the command line (clients/ts/bin/x1.mjs, `npx x1` from the repository), end to end
// against the real local service.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DEV_KEY, ROOT, startFreshService } from "../reliability/service.mjs";

let service;
before(async () => {
  service = await startFreshService({ vars: { MOCK_LATENCY_MS: "10" } });
});
after(async () => {
  await service?.stop();
});

function x1(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["clients/ts/bin/x1.mjs", ...args], {
      cwd: ROOT,
      env: { ...process.env, X1_BASE_URL: service.url, X1_API_KEY: DEV_KEY, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const SAMPLE = "public/samples/count_colour.png";

test("ask follows the run stage by stage, then prints the answer and usage", async () => {
  const { code, stdout, stderr } = await x1([
    "ask",
    SAMPLE,
    "How many purple shapes are there?",
    "--model",
    "mock:fixed",
    "--n",
    "2",
  ]);
  assert.equal(code, 0, stderr);
  for (const stage of ["SUMMARY", "CAPTION", "REASONING", "CONCLUSION"]) {
    assert.match(stdout, new RegExp(`^${stage}: 2 candidates, scored by judge$`, "m"));
    assert.match(stdout, new RegExp(`^✔ ${stage}: `, "m"));
  }
  assert.match(stdout, /^ {2}· SUMMARY\/gen\/0\.0: /m);
  assert.match(stdout, /^ {2}⚖ round 1 match 0: /m);
  assert.match(stdout, /^answer: /m);
  assert.match(stdout, /^usage: \d+ tokens \(\d+ model steps, \d+ ms of backend time, \$\d/m);
});

test("ask --json prints the finished run for scripts; runs list, get, events and cancel find it", async () => {
  const asked = await x1([
    "ask",
    SAMPLE,
    "Count the triangles.",
    "--model",
    "mock:fixed",
    "--strategy",
    "greedy",
    "--json",
  ]);
  assert.equal(asked.code, 0, asked.stderr);
  const run = JSON.parse(asked.stdout);
  assert.equal(run.status, "succeeded");
  assert.equal(run.search.strategy, "greedy");

  const list = await x1(["runs", "list", "--limit", "5"]);
  assert.match(list.stdout, new RegExp(`^${run.id} +succeeded +mock:fixed`, "m"));
  const got = JSON.parse((await x1(["runs", "get", run.id, "--json"])).stdout);
  assert.equal(got.answer, run.answer);
  const events = (await x1(["runs", "events", run.id, "--json"])).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(events[0].type, "run.created");
  assert.equal(events.at(-1).type, "run.succeeded");
  const canceled = await x1(["runs", "cancel", run.id]);
  assert.match(canceled.stdout, /: succeeded$/m, "a finished run is returned unchanged");

  const models = await x1(["models"]);
  assert.match(models.stdout, /^mock:fixed +ready$/m);
  const usage = await x1(["usage", "--json"]);
  assert.ok(JSON.parse(usage.stdout).total.runs >= 1);
});

test("ask --cache answers from an earlier run; fork reruns a run from a stage on", async () => {
  const args = ["ask", SAMPLE, "How many circles?", "--model", "mock:fixed", "--n", "2", "--seed", "3", "--cache"];
  const first = JSON.parse((await x1([...args, "--json"])).stdout);
  assert.equal(first.status, "succeeded");
  assert.equal(first.cached_from, null);
  // The first run becomes a cache entry once its ledger row is written, just after it ends.
  let again;
  for (let i = 0; i < 20; i++) {
    again = await x1(args);
    if (/^cached: /m.test(again.stdout)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^cached: the result of ${first.id} \\(no model call\\)$`, "m"));
  assert.ok(again.stdout.includes(`\nanswer: ${first.answer}\n`), again.stdout);

  const forked = await x1(["fork", first.id, "--from", "REASONING", "--scorer", "vote"]);
  assert.equal(forked.code, 0, forked.stderr);
  assert.match(forked.stdout, new RegExp(`^fork of ${first.id} from REASONING$`, "m"));
  assert.match(forked.stdout, /^REASONING: 2 candidates, scored by vote$/m);
  assert.doesNotMatch(forked.stdout, /^(SUMMARY|CAPTION): /m, "the given stages are not searched again");
  assert.match(forked.stdout, new RegExp(`^forked from ${first.id} at REASONING$`, "m"));
  assert.match(forked.stdout, new RegExp(`^reused: SUMMARY, CAPTION of ${first.id}, not billed again$`, "m"));
  const noStage = await x1(["fork", first.id]);
  assert.equal(noStage.code, 2);
  assert.match(noStage.stderr, /fork needs a run id and a stage/);
});

test("batch submit --wait runs a JSONL file; results come back in input order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "x1-cli-batch-"));
  const file = join(dir, "requests.jsonl");
  const ids = ["first", "second", "third"];
  writeFileSync(
    file,
    ids
      .map((custom_id, i) =>
        JSON.stringify({
          custom_id,
          body: { model: "mock:fixed", question: `How many squares? (${i})`, search: { strategy: "greedy" } },
        }),
      )
      .join("\n"),
  );
  try {
    const submitted = await x1(["batch", "submit", file, "--concurrency", "2", "--wait"]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = /^batch (batch_[0-9a-f]{64}): 3 requests, 2 at a time$/m.exec(submitted.stdout)?.[1];
    assert.ok(id, submitted.stdout);
    assert.match(submitted.stdout, /^completed: 3 succeeded, 0 failed, 0 canceled, 0 running, 0 pending of 3$/m);
    const results = await x1(["batch", "results", id]);
    const lines = results.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.custom_id, l.status]),
      ids.map((c) => [c, "succeeded"]),
    );
    const got = JSON.parse((await x1(["batch", "get", id, "--json"])).stdout);
    assert.equal(got.status, "completed");
    const missing = await x1(["batch", "submit", join(dir, "nope.jsonl")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.jsonl: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("errors are one clear line with a non-zero exit", async () => {
  const noKey = await x1(["models"], { X1_API_KEY: "" });
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /set X1_API_KEY/);
  const badKey = await x1(["models"], { X1_API_KEY: "sk_live_00000000000000000000000000000000" });
  assert.equal(badKey.code, 1);
  assert.match(badKey.stderr, /^x1: 401 invalid_api_key: unknown API key/);
  const badFile = await x1(["ask", "nope.png", "q"]);
  assert.equal(badFile.code, 2);
  assert.match(badFile.stderr, /nope\.png: no such file/);
  const invalid = await x1(["ask", SAMPLE, "q", "--n", "17", "--model", "mock:fixed"]);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /400 .*search\.candidates: must be at most 16/);
  const help = await x1(["help"]);
  assert.match(help.stdout, /x1 ask IMAGE/);
});
