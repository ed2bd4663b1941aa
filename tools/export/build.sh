#!/usr/bin/env bash
# The committed model from a checkpoint, in one command: ONNX export (fp32), int8 quantization,
# sharding + manifest into model-shards/, then the parity check (torch vs fp32 ONNX vs int8 ONNX).
#   bash tools/export/build.sh [CHECKPOINT]      (default tools/.cache/x1-train/model.pt)
#   MODEL_VERSION=1.1.0+run5 bash tools/export/build.sh …   sets the manifest's version (default 1.0.0+step<N>)
# Needs Debian's python3-torch and python3-onnx (/usr/bin/python3) and `npm ci` (onnxruntime-node).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
OUT=tools/.cache/x1-export
LIMIT=${PARITY_LIMIT:-50}
mkdir -p "$OUT"
# Training may still be writing the checkpoint: export from a copy.
cp "${1:-tools/.cache/x1-train/model.pt}" "$OUT/model.pt"
$PY tools/export/export.py --ckpt "$OUT/model.pt" --out "$OUT"
$PY tools/export/quantize.py "$OUT/fp32/decoder.onnx" "$OUT/decoder-int8.onnx"
$PY tools/export/package.py --vision "$OUT/fp32/vision.onnx" --decoder "$OUT/decoder-int8.onnx" --export-meta "$OUT/export.json" --out model-shards ${MODEL_VERSION:+--version "$MODEL_VERSION"}
$PY tools/export/package.py --vision "$OUT/fp32/vision.onnx" --decoder "$OUT/fp32/decoder.onnx" --export-meta "$OUT/export.json" --out "$OUT/fp32-shards"
# Parity: the same committed dev items through torch, then through the backend's decoder on ONNX.
$PY tools/export/parity_torch.py --ckpt "$OUT/model.pt" --limit "$LIMIT" --out "$OUT/torch.json" --vectors test/embedded/fixtures/preprocess-vectors.json
node_modules/.bin/esbuild tools/export/parity.ts --bundle --platform=node --format=esm --log-level=warning \
  --external:onnxruntime-node --external:onnxruntime-web --outfile=tools/.cache/parity.mjs
node tools/.cache/parity.mjs --torch "$OUT/torch.json" --fp32 "$OUT/fp32-shards" --int8 model-shards --out "$OUT/parity.json"
echo "parity written to $OUT/parity.json: put its figures in model-shards/manifest.json (card.parity), then npm run model-card"
