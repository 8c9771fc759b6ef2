#!/usr/bin/env bash
# Continue the bundled model's training run on a CUDA machine, from the repository root:
#   bash models/gpu/run.sh [MINUTES] [extra train.py options]
# resumes models/checkpoints/$RUN/latest.pt (default RUN=v2-mnv2, the bundled model's run) and trains
# for MINUTES of wall clock (default 60): the release's recipe (a warm restart annealed to the end of
# the run, the same views and real pairs as the CPU training in models/README.md; the co3d frames
# when ../shared/data/multiview/co3d is there), in batches of 32 pairs made by DataLoader
# workers (one per CPU core, less two). Photos come from ../shared/data/train, or, on a machine that
# cannot see ../shared, from gpu_data/train (made here by models/gpu/prepare.py; copy it along).
# Validation runs when ../shared/data/val is there. The weights, optimiser state and log stay in
# models/checkpoints/$RUN/ (and are copied to $OUT when it is set); release them on a machine with
# ../shared/data/val: /usr/bin/python3 models/release.py --checkpoint models/checkpoints/$RUN/latest.pt.
set -euo pipefail
minutes=${1:-60}
run=${RUN:-v2-mnv2}
shift || true
python=${PYTHON:-python3}
if [ -d ../shared/data/train ]; then
  data=../shared/data/train
elif [ -d gpu_data/train ]; then
  data=gpu_data/train
else
  echo "no training photos: neither ../shared/data/train nor gpu_data/train (run models/gpu/prepare.py and copy gpu_data along)" >&2
  exit 2
fi
"$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' || {
  echo "$python sees no CUDA device: this recipe is for a GPU (models/train.py alone trains on the CPU)" >&2
  exit 2
}
workers=$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))
export PYTHONUNBUFFERED=1
"$python" models/train.py --data "$data" --run "$run" --batch 32 --workers "$workers" \
  --continue-minutes "$minutes" --lr 5e-4 --real-share 0.3 --co3d-share 0.5 \
  --log-every 50 --save-every 250 "$@"
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  cp "models/checkpoints/$run/latest.pt" "models/checkpoints/$run/log.jsonl" "$OUT/"
fi
