#!/usr/bin/env bash
# docs/experiments.md section 17: stage 3 of 7,000 steps on data/tiny-60k-v3, then the
# noise, reader and words steps (tail.sh). Resumes after a kill: run it again.
# `THREADS=0 bash docs/broad-wording/s3-7k/run.sh`; wall times in runs/s3-7k/times.log.
set -euo pipefail
cd "$(dirname "$0")/../../.."
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
mkdir -p runs/s3-7k
if [ ! -d runs/s3-7k/default/final ]; then
  start=$(date +%s)
  .venv/bin/omni-reasoner train --config docs/broad-wording/s3-7k/stage3.yaml --threads "$THREADS"
  echo "$(date -u +%FT%TZ) stage3 $(($(date +%s) - start)) s (this run of it)" >>runs/s3-7k/times.log
fi
DATA=data/tiny-60k-v3 THREADS=$THREADS bash docs/broad-wording/tail.sh runs/s3-7k runs/s3-7k/default/final
