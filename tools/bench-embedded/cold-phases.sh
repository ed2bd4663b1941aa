#!/usr/bin/env bash
# onnxruntime-web's cold path for the embedded model, phase by phase, in Node (cold-phases.ts; the
# diagnosis behind the x1 engine). Arguments are passed to node, so V8 flags compare settings:
#   bash tools/bench-embedded/cold-phases.sh --liftoff-only
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p tools/.cache
node_modules/.bin/esbuild tools/bench-embedded/cold-phases.ts --bundle --platform=node --format=esm --log-level=warning \
  --external:onnxruntime-node --external:onnxruntime-web --outfile=tools/.cache/cold-phases.mjs
exec node "$@" tools/.cache/cold-phases.mjs
