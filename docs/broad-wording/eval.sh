#!/usr/bin/env bash
# One arm of docs/experiments.md section 14: the dev tier of data/tiny-60k (200), the wider
# dev tier (data/dev-wide, 600, another seed) and, with CHECK=1, 1,000 fresh training-wording
# problems (data/dev-check) and, with SVAMP=1, SVAMP's 200 sampled items (section 20),
# spoken-form questions, greedy.
# `[CHECK=1] [SVAMP=1] bash docs/broad-wording/eval.sh ARM [MODEL]`
set -euo pipefail
cd "$(dirname "$0")/../.."
arm=$1
model=${2:-runs/bw/$arm/final}
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
out=runs/bw/$arm
mkdir -p "$out"
sets="tiny-60k:valid_phrasing:dev dev-wide:valid_phrasing:wide"
[ "${CHECK:-0}" = 1 ] && sets="$sets dev-check:valid:check"
[ "${SVAMP:-0}" = 1 ] && sets="$sets tiny-60k:eval_svamp:svamp"
for set in $sets; do
  IFS=: read -r data split name <<<"$set"
  [ -s "$out/eval-$name.json" ] && continue
  .venv/bin/omni-reasoner eval --model "$model" --data "data/$data" --set "$split" \
    --per-category 0 --question-form spoken --latency-n 0 --json "$out/eval-$name.json" --quiet
done
