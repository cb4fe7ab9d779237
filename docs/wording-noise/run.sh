#!/usr/bin/env bash
# The wording-noise pair, one after the other (resumable: run again after a kill).
# (It ran as runs/noise/run.sh with the configs of this folder in runs/noise/.)
set -euo pipefail
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
for n in 50 0; do
  .venv/bin/omni-reasoner train --config runs/noise/ft-noise$n.yaml --quiet
  for set in valid valid_phrasing; do
    .venv/bin/omni-reasoner eval --model runs/noise/ft-noise$n/final --data data/tiny-60k --set $set \
      --json runs/noise/ft-noise$n/eval-$set.json --quiet
  done
done
echo NOISE-DONE
