#!/usr/bin/env bash
# docs/experiments.md section 23: the shipped recipe's whole chain (scripts/train_default.sh:
# stage 3, noise, reader, words; same configs, same seed) on section 21's data with the
# project's authored problems (data/tiny-60k-v3a), so the model sees them from stage 3 on
# rather than only in the last 1,800 steps. Then the section-21 scoring (eval.sh).
# Resumes after a kill: run it again. `[THREADS=0] bash docs/broad-wording/authored-chain/run.sh`;
# wall times in runs/authored-chain/times.log, evaluations in runs/bw/authored-chain/.
set -euo pipefail
cd "$(dirname "$0")/../../.."
THREADS=${THREADS:-0}
DATA=data/tiny-60k-v3a
RUNS=runs/authored-chain
export HF_HUB_OFFLINE=1
mkdir -p "$RUNS"
if [ ! -s "$DATA/manifest.json" ]; then
  start=$(date +%s)
  .venv/bin/omni-reasoner data build --config docs/broad-wording/authored/data.yaml \
    --n 60000 --out "$DATA"
  echo "$(date -u +%FT%TZ) data $(($(date +%s) - start)) s" >>"$RUNS/times.log"
fi
if [ ! -d "$RUNS/default/final" ]; then
  start=$(date +%s)
  .venv/bin/omni-reasoner train --config configs/tiny/stage3.yaml --data "$DATA" \
    --out "$RUNS/default" --threads "$THREADS"
  echo "$(date -u +%FT%TZ) stage3 $(($(date +%s) - start)) s (this run of it)" >>"$RUNS/times.log"
fi
DATA=$DATA THREADS=$THREADS bash docs/broad-wording/tail.sh "$RUNS" "$RUNS/default/final"
CHECK=1 SVAMP=1 bash docs/broad-wording/eval.sh authored-chain "$RUNS/default-words/final"
