#!/usr/bin/env bash
# Session 16: the two schedules section 9 left out at 51,200 problems, `aligned` and
# `interleave:2:8` with its `<pad>` slots, on the same calculator data (data/tiny-60k, wording
# version 1: session 5's build; today's code rebuilds it but for 1 of its 60,000 training rows,
# so it was built with the commit that made section 9, 67f0b41), config, seed and steps.
# Two runs at a time, one torch thread each; each resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1
mkdir -p runs  # the per-run logs below go there
for schedule in aligned interleave:2:8; do
  OMP_NUM_THREADS=1 .venv/bin/python scripts/study.py --data data/tiny-60k --steps 1600 \
    --schedule "$schedule" --out runs/study-51k --publish docs/study-51k \
    > "runs/study-51k-${schedule//[:+]/_}.log" 2>&1 &
done
wait
