#!/usr/bin/env bash
# npm run bench: every benchmark of the service, one after another, each printing its own table
# (ratios measured side by side in one run) and leaving JSON in bench/results/:
#   schedule   stage_beam N=4 / N=8, reference sequential vs our concurrent schedule, in memory and
#              through the Durable Object, on a 25 ms mock and on the embedded model (workerd)
#   embedded   embedded decoding: workerd vs onnxruntime-node on the same int8 graph, batched vs single
#   load       hundreds of concurrent runs over HTTP against `wrangler dev --local` (mock and embedded),
#              then a batch of 1,000 runs on a fresh process
#   cold       deploy bundle size (wrangler deploy --dry-run) and the first request's latency
#   hotpath    authenticated GET /v1/runs/:id against GET /healthz under 200 concurrent clients
#   cache      the result cache's hit path and a fork, against a full run of the same request
# BENCH_ONLY=schedule,load runs a subset. Takes 15-25 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results tools/.cache
ONLY="${BENCH_ONLY:-schedule,embedded,load,cold,hotpath,cache}"
want() { [[ ",$ONLY," == *",$1,"* ]]; }

if want schedule; then
  echo "== search schedule and durable overhead"
  node_modules/.bin/vitest run --config bench/vitest.config.ts 2>&1 | tee tools/.cache/bench-schedule.log | grep -v BENCH_RESULT || true
  grep -o 'BENCH_RESULT .*' tools/.cache/bench-schedule.log | tail -1 | sed 's/^BENCH_RESULT //' > bench/results/schedule.json
  test -s bench/results/schedule.json || { echo "the schedule benchmark printed no result"; exit 1; }
fi
if want embedded; then
  echo "== embedded decoding"
  bash tools/bench-embedded/run.sh
fi
if want load; then
  echo "== load"
  # Each on a fresh process: a finished 1,000-run batch leaves its run objects (and their SQLite)
  # in the one local workerd isolate, which would load the scenarios after it.
  node bench/load.mjs --scenarios mock,embedded
  node bench/load.mjs --scenarios batch --out bench/results/load-batch.json
fi
if want cold; then
  echo "== cold start"
  node bench/cold-start.mjs
fi
if want hotpath; then
  echo "== hot path"
  node bench/hot-path.mjs
fi
if want cache; then
  echo "== result cache"
  node bench/cache-hit.mjs
fi
