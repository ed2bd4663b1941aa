#!/usr/bin/env bash
# npm run eval -- [options]: bundle tools/eval/eval.ts (it imports the engine and the backend) and run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p tools/.cache
node_modules/.bin/esbuild tools/eval/eval.ts --bundle --platform=node --format=esm --log-level=warning \
  --external:onnxruntime-node --external:onnxruntime-web --outfile=tools/.cache/eval.mjs
exec node tools/.cache/eval.mjs "$@"
