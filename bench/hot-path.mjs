// The authenticated hot path (docs/scale.md): `GET /v1/runs/:id` — API-key lookup in D1, the key's
// KeyLimiter Durable Object, the run's own Durable Object — against `GET /healthz`, which touches
// none of them, each under 200 concurrent clients (autocannon) on the local service, interleaved
// over several rounds so that both see the same machine. Prints p50 / p99 and requests/s, and the
// ratio of the two; writes bench/results/hot-path.json.
//   node bench/hot-path.mjs [--connections 200] [--seconds 8] [--rounds 3]
import autocannon from "autocannon";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { DEV_KEY, startFreshService } from "../test/reliability/service.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const connections = arg("connections", 200);
const seconds = arg("seconds", 8);
const rounds = arg("rounds", 3);

// The dev key's rate limit (6,000/min) would turn most of the load into 429s: the benchmark makes
// its own key with a limit the load cannot reach, so it times the limiter without tripping it.
const service = await startFreshService({ vars: { MOCK_LATENCY_MS: "5", VALIDATE_RESPONSES: "0" } });
try {
  const admin = (await import("node:fs")).readFileSync(".dev.vars", "utf8").match(/ADMIN_SECRET="([^"]+)"/)?.[1];
  const created = await fetch(`${service.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "hot-path bench", rate_limit_per_minute: 100000 }),
  }).then((r) => r.json());
  const key = created.key ?? DEV_KEY;
  const headers = { authorization: `Bearer ${key}` };
  const run = await fetch(`${service.url}/v1/runs`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json", Prefer: "wait=30" },
    body: JSON.stringify({ model: "mock:fixed", question: "How many shapes?", search: { strategy: "greedy" } }),
  }).then((r) => r.json());
  if (run.status !== "succeeded")
    throw new Error(`the setup run did not succeed: ${JSON.stringify(run).slice(0, 300)}`);

  const targets = {
    "GET /healthz (no key, no D1, no Durable Object)": { path: "/healthz", headers: {} },
    "GET /v1/runs/:id (key lookup, rate limiter, run object)": { path: `/v1/runs/${run.id}`, headers },
  };
  const samples = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, t] of Object.entries(targets)) {
      const res = await autocannon({
        url: `${service.url}${t.path}`,
        headers: t.headers,
        connections,
        duration: seconds,
      });
      const non2xx = res.non2xx + res.errors + res.timeouts;
      samples[name].push({ p50: res.latency.p50, p99: res.latency.p99, rps: res.requests.average, non2xx });
      console.log(
        `# round ${r + 1} ${name}: p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms, ${res.requests.average} req/s, non-2xx ${non2xx}`,
      );
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const rows = Object.entries(samples).map(([name, s]) => ({
    name,
    p50_ms: median(s.map((x) => x.p50)),
    p99_ms: median(s.map((x) => x.p99)),
    rps: median(s.map((x) => x.rps)),
    non2xx: s.reduce((n, x) => n + x.non2xx, 0),
  }));
  const [open, authed] = rows;
  const lines = [
    `Hot path: ${connections} concurrent clients, ${seconds} s per measurement, ${rounds} interleaved rounds (medians); wrangler dev --local, ${os.cpus().length} cores`,
    "| route | p50 | p99 | requests/s | non-2xx |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.name} | ${r.p50_ms} ms | ${r.p99_ms} ms | ${r.rps.toFixed(0)} | ${r.non2xx} |`),
    `Authenticated ÷ open: p50 ${(authed.p50_ms / open.p50_ms).toFixed(2)}×, p99 ${(authed.p99_ms / open.p99_ms).toFixed(2)}×, throughput ${(authed.rps / open.rps).toFixed(2)}×`,
  ];
  console.log(lines.join("\n"));
  writeFileSync(
    "bench/results/hot-path.json",
    JSON.stringify(
      { measured: new Date().toISOString(), connections, seconds, rounds, rows, samples, table: lines },
      null,
      1,
    ) + "\n",
  );
} finally {
  await service.stop();
}
