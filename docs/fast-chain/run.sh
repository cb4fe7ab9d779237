#!/usr/bin/env bash
# The fast chain (session 8): the shipped default's recipe with its second step folded into
# the first -- stage 3 from scratch with wording noise from the first step (stage3-noisy.yaml
# here), then the reader (configs/tiny/stage3-reader.yaml) and words only through the reader
# (configs/tiny/stage3-words.yaml) exactly as shipped. 6,400 steps instead of 7,800, all
# threads, to see whether it fits the 2-hour budget on an idle 2-core CPU and what it costs.
# Resumes after a kill; each step's wall time goes to $RUNS/chain-times.log.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root
OR=.venv/bin/omni-reasoner
DATA=${DATA:-data/tiny-60k}
RUNS=${RUNS:-runs/fast}
THREADS=${THREADS:-0}
export HF_HUB_OFFLINE=1
mkdir -p "$RUNS"
step() {
  local name=$1 start
  shift
  start=$(date +%s)
  "$@"
  echo "$(date -u +%FT%TZ) $name $(($(date +%s) - start)) s" >>"$RUNS/chain-times.log"
}
step data $OR data build --preset tiny --out "$DATA" --n 60000
step stage3-noisy $OR train --config docs/fast-chain/stage3-noisy.yaml --data "$DATA" \
  --out "$RUNS/default" --threads "$THREADS" --quiet
step reader $OR train --config configs/tiny/stage3-reader.yaml --data "$DATA" \
  --out "$RUNS/default-reader" --init-from "$RUNS/default/final" --threads "$THREADS" --quiet
step words $OR train --config configs/tiny/stage3-words.yaml --data "$DATA" \
  --out "$RUNS/default-words" --init-from "$RUNS/default-reader/final" --threads "$THREADS" --quiet
