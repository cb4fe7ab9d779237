#!/usr/bin/env bash
# docs/experiments.md section 14: the default's four training steps (scripts/train_default.sh)
# on wording version 2: data/tiny-60k-broad, built by `omni-reasoner data build --preset tiny
# --wording 2 --n 60000 --out data/tiny-60k-broad`. As run: stage 3 and the noise step with
# THREADS=1 while the fine-tune arms and evaluations shared the CPU, the reader and words
# steps resumed with THREADS=0 on the idle machine (times in chain/chain-times.log).
set -euo pipefail
cd "$(dirname "$0")/../.."
OR=.venv/bin/omni-reasoner
DATA=${DATA:-data/tiny-60k-broad}
RUNS=${RUNS:-runs/broad}
THREADS=${THREADS:-1}
export HF_HUB_OFFLINE=1
mkdir -p "$RUNS"
LOG=$RUNS/chain.log
step() {  # step NAME COMMAND...: run it, append its wall time to $LOG
  local name=$1 start
  shift
  start=$(date +%s)
  "$@"
  echo "$(date -u +%FT%TZ) $name $(($(date +%s) - start)) s" >>"$LOG"
}
step stage3 $OR train --config configs/tiny/stage3.yaml --data "$DATA" \
  --out "$RUNS/default" --threads "$THREADS" --quiet
step noise $OR train --config configs/tiny/stage3-noise.yaml --data "$DATA" \
  --out "$RUNS/default-noise" --init-from "$RUNS/default/final" --threads "$THREADS" --quiet
step reader $OR train --config configs/tiny/stage3-reader.yaml --data "$DATA" \
  --out "$RUNS/default-reader" --init-from "$RUNS/default-noise/final" --threads "$THREADS" --quiet
step words $OR train --config configs/tiny/stage3-words.yaml --data "$DATA" \
  --out "$RUNS/default-words" --init-from "$RUNS/default-reader/final" --threads "$THREADS" --quiet
