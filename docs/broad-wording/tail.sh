#!/usr/bin/env bash
# The last three steps of scripts/train_default.sh (noise, reader, words) from a given stage-3
# checkpoint, for the arms of docs/experiments.md section 15.
# `[DATA=data/tiny-60k-v2] THREADS=1 bash docs/broad-wording/tail.sh RUNS STAGE3_CHECKPOINT`;
# wall times in RUNS/times.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=$1 init=$2
OR=.venv/bin/omni-reasoner
DATA=${DATA:-data/tiny-60k-v2}
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
step() {  # step NAME CONFIG INIT
  local start
  start=$(date +%s)
  $OR train --config "configs/tiny/$2.yaml" --data "$DATA" --out "$runs/default-$1" \
    --init-from "$3" --threads "$THREADS"
  echo "$(date -u +%FT%TZ) $1 $(($(date +%s) - start)) s" >>"$runs/times.log"
}
step noise stage3-noise "$init"
step reader stage3-reader "$runs/default-noise/final"
step words stage3-words "$runs/default-reader/final"
