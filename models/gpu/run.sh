#!/usr/bin/env bash
# On a lent GPU machine (the `device` tool's run, from the repo root, carrying gpu_data):
#   bash models/gpu/run.sh [MINUTES] [extra train.py options]
# continues models/checkpoints/main for MINUTES of wall clock (an annealed warm restart, see
# train.py --continue-minutes) with 14 DataLoader workers feeding batches of 32, then leaves
# latest.pt and log.jsonl in $OUT. Back here: copy them into models/checkpoints/main/ and run
# /usr/bin/python3 models/release.py (validation and the card's figures are measured here).
set -euo pipefail
minutes=${1:-8}
shift || true
if [ ! -d gpu_data/train ]; then
  echo "no gpu_data/train: run /usr/bin/python3 models/gpu/prepare.py first and carry gpu_data" >&2
  exit 2
fi
out=${OUT:-/tmp/coam-gpu}
mkdir -p "$out"
nvidia-smi -L || true
export PYTHONUNBUFFERED=1
python3 models/train.py --data gpu_data/train --val gpu_data/no-val --run main \
  --continue-minutes "$minutes" --batch 32 --workers 14 --lr 1e-3 \
  --scale-range 2.5 --full-rotation 0.25 --group-power 0.5 --real-share 0.25 --log-every 50 --save-every 250 "$@" 2>&1 | tee "$out/train.log"
cp models/checkpoints/main/latest.pt models/checkpoints/main/log.jsonl "$out/"
