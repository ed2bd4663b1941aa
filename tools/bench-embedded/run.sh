#!/usr/bin/env bash
# npm run bench:embedded: decode throughput in workerd (x1 engine and onnxruntime-web) and on
# onnxruntime-node, the same int8 model: batched N=4 vs four single decodes, session creation,
# wasm memory. Writes bench/results/embedded.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p tools/.cache
node_modules/.bin/vitest run --config tools/bench-embedded/vitest.config.ts 2>&1 | tee tools/.cache/bench-workerd.log | grep -v BENCH_RESULT || true
grep -o 'BENCH_RESULT .*' tools/.cache/bench-workerd.log | tail -1 | sed 's/^BENCH_RESULT //' > tools/.cache/bench-workerd.json
test -s tools/.cache/bench-workerd.json || { echo "the workerd benchmark printed no result"; exit 1; }
node_modules/.bin/esbuild tools/bench-embedded/node.ts --bundle --platform=node --format=esm --log-level=warning \
  --external:onnxruntime-node --external:onnxruntime-web --outfile=tools/.cache/bench-embedded-node.mjs
node tools/.cache/bench-embedded-node.mjs tools/.cache/bench-workerd.json
