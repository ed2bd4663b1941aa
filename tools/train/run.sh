#!/usr/bin/env bash
# The embedded model from nothing, in one command: X1-Shapes data (train/dev/test by seed range),
# the tokenizer, the committed data (samples, dev subset, tokenizer vectors), training, evaluation.
#   bash tools/train/run.sh               everything (about an hour on 2 CPU cores)
#   bash tools/train/run.sh --skip-data   reuse tools/.cache/x1-shapes
# Needs Debian's python3-torch, python3-numpy, python3-matplotlib and libopenblas0-pthread
# (apt), run with /usr/bin/python3. Outputs: tools/.cache/x1-train/model.pt, tools/train/train-log.txt,
# tools/train/loss-curve.png, tools/train/eval-dev.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
if [[ "${1:-}" != "--skip-data" ]]; then
  bash tools/x1-shapes/run.sh vocab --scenes 3000
  bash tools/x1-shapes/run.sh gen --split dev --scenes 1000 --jsonl
  bash tools/x1-shapes/run.sh gen --split test --scenes 1000 --jsonl
  bash tools/x1-shapes/run.sh gen --split train --scenes 18000 --per-scene 3
  bash tools/x1-shapes/run.sh commit
fi
$PY tools/train/tokenizer.py --check
$PY tools/train/train.py --config tools/train/config.json
$PY tools/train/evaluate.py --split dev --out tools/train/eval-dev.json
