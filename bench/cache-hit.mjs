// The result cache's hit path (docs/forks-and-cache.md): the same request — the embedded model,
// stage_beam N=4 with the judge, a fixed seed, the sample image — answered by a full run and by a
// cache hit, interleaved round by round on one local service so that both see the same machine.
// Also a fork from CONCLUSION of the same run (three stages reused). Prints medians and ratios;
// writes bench/results/cache-hit.json.
//   node bench/cache-hit.mjs [--rounds 9]
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { DEV_KEY, startFreshService } from "../test/reliability/service.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg("rounds", 9);
const image = { data: readFileSync("public/samples/count_colour.png").toString("base64"), media_type: "image/png" };

const service = await startFreshService({ vars: { VALIDATE_RESPONSES: "0" } });
try {
  const headers = { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json", Prefer: "wait=60" };
  const post = async (path, body) => {
    const started = performance.now();
    const res = await fetch(`${service.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    const run = await res.json();
    const ms = performance.now() - started;
    if (run.status !== "succeeded") throw new Error(`${path}: ${res.status} ${JSON.stringify(run).slice(0, 300)}`);
    return { ms, run };
  };
  const request = (seed) => ({
    model: "embedded:x1-shapes-tiny",
    question: "How many purple shapes are there?",
    image,
    search: { strategy: "stage_beam", candidates: 4, scorer: "judge" },
    sampling: { seed },
  });
  // Warm the model first: the cold start is its own benchmark (cold-start.mjs).
  await post("/v1/runs", request(1));

  const samples = { full: [], hit: [], fork: [] };
  for (let r = 0; r < rounds; r++) {
    const seed = 1000 + r;
    // A full run with a seed never used before (so it cannot be a hit), then the same request again.
    const full = await post("/v1/runs", { ...request(seed), cache: "reuse" });
    if (full.run.cached_from !== null) throw new Error("the first run of a seed was a cache hit");
    // Its ledger row (what makes it a cache entry) is written just after it ends.
    let hit;
    for (let tries = 0; tries < 50; tries++) {
      hit = await post("/v1/runs", { ...request(seed), cache: "reuse" });
      if (hit.run.cached_from === full.run.id) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (hit.run.cached_from !== full.run.id) throw new Error("no cache hit for a repeated request");
    const fork = await post(`/v1/runs/${full.run.id}/fork`, { from: "CONCLUSION" });
    samples.full.push(full.ms);
    samples.hit.push(hit.ms);
    samples.fork.push(fork.ms);
    console.log(
      `# round ${r + 1}: full ${full.ms.toFixed(0)} ms, hit ${hit.ms.toFixed(0)} ms, fork from CONCLUSION ${fork.ms.toFixed(0)} ms`,
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const lines = [
    `Result cache: embedded:x1-shapes-tiny, stage_beam N=4 judge, sample image, ${rounds} interleaved rounds (medians, POST to the finished run with Prefer: wait); wrangler dev --local, ${os.cpus().length} cores`,
    "| request | median | ÷ full run |",
    "|---|---|---|",
    `| full run (a miss) | ${m.full.toFixed(0)} ms | 1.00 |`,
    `| cache hit (no model call) | ${m.hit.toFixed(0)} ms | ${(m.hit / m.full).toFixed(3)} |`,
    `| fork from CONCLUSION (3 stages reused) | ${m.fork.toFixed(0)} ms | ${(m.fork / m.full).toFixed(3)} |`,
  ];
  console.log(lines.join("\n"));
  writeFileSync(
    "bench/results/cache-hit.json",
    JSON.stringify({ measured: new Date().toISOString(), rounds, samples, medians: m, table: lines }, null, 1) + "\n",
  );
} finally {
  await service.stop();
}
