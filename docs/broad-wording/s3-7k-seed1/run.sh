#!/usr/bin/env bash
# docs/experiments.md section 18: section 17's reader and words steps again with seed 1, from the
# same noise checkpoint (runs/s3-7k/default-noise/final): how far another seed of the same
# steps moves the scores, the yardstick for the operation-loss arm.
# `THREADS=0 bash docs/broad-wording/s3-7k-seed1/run.sh` (resumes after a kill); times in runs/s3-7k-seed1/times.log.
set -euo pipefail
cd "$(dirname "$0")/../../.."
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
mkdir -p runs/s3-7k-seed1
for step in reader words; do
  start=$(date +%s)
  .venv/bin/omni-reasoner train --config "docs/broad-wording/s3-7k-seed1/stage3-$step.yaml" --threads "$THREADS"
  echo "$(date -u +%FT%TZ) $step $(($(date +%s) - start)) s" >>runs/s3-7k-seed1/times.log
done
