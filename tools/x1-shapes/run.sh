#!/usr/bin/env bash
# Bundle the X1-Shapes generator (TypeScript, imports the engine's prompt builders) and run it.
# Usage: bash tools/x1-shapes/run.sh vocab|gen|mined|verify|commit|check [--options]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p tools/.cache
node_modules/.bin/esbuild tools/x1-shapes/cli.ts --bundle --platform=node --format=esm \
  --log-level=warning --outfile=tools/.cache/x1-shapes.mjs
exec node tools/.cache/x1-shapes.mjs "$@"
