#!/usr/bin/env bash
# The longer wording-noise fine-tune (a candidate default), then its evaluation.
# (It ran as runs/noise/run-long.sh with the configs of this folder in runs/noise/.)
set -euo pipefail
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
.venv/bin/omni-reasoner train --config runs/noise/ft-noise50-long.yaml --quiet
for set in valid valid_phrasing; do
  .venv/bin/omni-reasoner eval --model runs/noise/ft-noise50-long/final --data data/tiny-60k --set $set \
    --json runs/noise/ft-noise50-long/eval-$set.json --quiet
done
echo LONG-DONE
