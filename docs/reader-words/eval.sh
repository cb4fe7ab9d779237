#!/usr/bin/env bash
# dev tier (valid_phrasing, all 200) and training wording (valid, 50 per category) for one arm
set -euo pipefail
arm=$1
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
.venv/bin/omni-reasoner eval --model runs/wd/$arm/final --data data/tiny-60k --set valid_phrasing \
  --per-category 0 --question-form spoken --latency-n 0 --json runs/wd/$arm/eval-dev.json --quiet
.venv/bin/omni-reasoner eval --model runs/wd/$arm/final --data data/tiny-60k --set valid \
  --per-category 50 --question-form spoken --latency-n 0 --json runs/wd/$arm/eval-valid.json --quiet
