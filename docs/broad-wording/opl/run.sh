#!/usr/bin/env bash
# docs/experiments.md section 18: the reader and words steps of section 17's chain again, from
# its noise checkpoint (runs/s3-7k/default-noise/final), with the auxiliary operation loss
# (reader.op_loss 0.5). The control is section 17's own reader and words steps.
# `THREADS=0 bash docs/broad-wording/opl/run.sh` (resumes after a kill); times in runs/opl/times.log.
set -euo pipefail
cd "$(dirname "$0")/../../.."
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
mkdir -p runs/opl
for step in reader words; do
  start=$(date +%s)
  .venv/bin/omni-reasoner train --config "docs/broad-wording/opl/stage3-$step.yaml" --threads "$THREADS"
  echo "$(date -u +%FT%TZ) $step $(($(date +%s) - start)) s" >>runs/opl/times.log
done
