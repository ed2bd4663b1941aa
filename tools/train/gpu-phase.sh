#!/usr/bin/env bash
# One training phase on a borrowed GPU machine, which has PyTorch but none of this project's data.
# Here, pack what the config reads (its train and dev directories, its init checkpoint):
#   tar -czf tools/.cache/gpu/data.tar.gz --exclude='*.jsonl' -C tools/.cache \
#     x1-shapes/train24-choice x1-shapes/train24-attr x1-shapes/train24 x1-shapes/dev-check x1-train/run23.pt
# There, with tools/.cache/gpu carried (the archive was 48 MB for phase 11):
#   bash tools/train/gpu-phase.sh -continue19
# It unpacks the data, trains tools/train/config<suffix>.json on cuda and copies the final and last
# checkpoints, the log and the loss history to $OUT. tools/train/run.sh trains the same config on
# whatever device torch finds.
set -euo pipefail
cd "$(dirname "$0")/../.."
suffix=${1:?config suffix}
tar -xzf tools/.cache/gpu/data.tar.gz -C tools/.cache
python3 -c "import torch; assert torch.cuda.is_available(), 'no cuda'; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
status=0
timeout "${TRAIN_TIMEOUT:-480}" python3 tools/train/train.py --config "tools/train/config$suffix.json" --device cuda || status=$?
out=${OUT:-tools/.cache/gpu-out}
mkdir -p "$out"
cp tools/.cache/x1-train/model.pt tools/.cache/x1-train/ckpt-last.pt "tools/train/train-log$suffix.txt" \
  "tools/train/history$suffix.json" "$out"/ 2>/dev/null || true
exit $status
