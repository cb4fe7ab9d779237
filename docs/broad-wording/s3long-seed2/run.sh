#!/usr/bin/env bash
# docs/experiments.md section 19: the shipped default's reader and words steps again with seed 2
# from its own noise checkpoint (runs/s3long/default-noise/final, session 11): the seed spread
# of the shipped recipe's last two steps.
# `THREADS=0 bash docs/broad-wording/s3long-seed2/run.sh` (resumes after a kill); times in runs/s3long-seed2/times.log.
set -euo pipefail
cd "$(dirname "$0")/../../.."
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
mkdir -p runs/s3long-seed2
for step in reader words; do
  start=$(date +%s)
  .venv/bin/omni-reasoner train --config "docs/broad-wording/s3long-seed2/stage3-$step.yaml" --threads "$THREADS"
  echo "$(date -u +%FT%TZ) $step $(($(date +%s) - start)) s" >>runs/s3long-seed2/times.log
done
