#!/usr/bin/env bash
# The reader and words steps of one arm of docs/experiments.md sections 18-19, from the configs in
# its folder: docs/broad-wording/ARM/stage3-reader.yaml, then stage3-words.yaml (each config says
# where it starts, its seed and its options). Resumes after a kill: run it again.
# `THREADS=0 bash docs/broad-wording/reader-words.sh ARM`; wall times in runs/ARM/times.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
arm=$1
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
mkdir -p "runs/$arm"
for step in reader words; do
  start=$(date +%s)
  .venv/bin/omni-reasoner train --config "docs/broad-wording/$arm/stage3-$step.yaml" --threads "$THREADS"
  echo "$(date -u +%FT%TZ) $step $(($(date +%s) - start)) s" >>"runs/$arm/times.log"
done
