#!/usr/bin/env bash
# From an empty directory to the end-to-end (e2e) model: the data, a spoken subset, the
# encoder cache, paper stages 1, 2 and 4, and the evaluation. Every step resumes where it
# stopped if killed: run the same command again. Sizes fit about 3 hours on a 2-core CPU
# (budget and measurements: docs/training.md, "Audio stages"). Environment overrides:
#   DATA (data/tiny-60k), TRAIN_CLIPS (16000), EVAL_CLIPS (300 test-split clips),
#   WORKERS (1), OUT (runs/audio; the stage configs write there), CONFIGS (configs/tiny:
#   the directory of stage1.yaml, stage2.yaml, stage4.yaml, e.g. a copy with fewer steps),
#   INIT (src/omni_reasoner/checkpoints/default: the text Thinker stage 1 starts from).
set -euo pipefail
cd "$(dirname "$0")/.."
OR=.venv/bin/omni-reasoner
DATA=${DATA:-data/tiny-60k}
TRAIN_CLIPS=${TRAIN_CLIPS:-16000}
EVAL_CLIPS=${EVAL_CLIPS:-300}
WORKERS=${WORKERS:-1}
OUT=${OUT:-runs/audio}
CONFIGS=${CONFIGS:-configs/tiny}
INIT=${INIT:-src/omni_reasoner/checkpoints/default}
export HF_HUB_OFFLINE=1

# 1. the text data (the shipped default's; a no-op when it is already built)
$OR data build --preset tiny --out "$DATA" --n 60000
# 2. question speech: a training subset (espeak-ng, not round-tripped: ~25 clips/s), and
#    the held-out-voice test clips, each checked by the Whisper round trip (~1 clip/s)
$OR data speak "$DATA" --split train --limit-per-split "$TRAIN_CLIPS" --verify none --workers "$WORKERS"
$OR data speak "$DATA" --split test --limit-per-split "$EVAL_CLIPS" --verify all --workers "$WORKERS"
# 3. Whisper tiny.en encoder frames of every clip, once (fp16, content-addressed)
$OR audio cache "$DATA"
# 4. stages 1 (alignment), 2 (mixed), 4 (acoustic thinking-in-speaking), each from the last
for stage in 1 2 4; do
  init="$INIT"
  [ "$stage" = 2 ] && init="$OUT/stage1/final"
  [ "$stage" = 4 ] && init="$OUT/stage2/final"
  $OR train --config "$CONFIGS/stage$stage.yaml" --data "$DATA" --out "$OUT/stage$stage" --init-from "$init"
done
# 5. held-out voices: e2e, and the three-way comparison with text and the cascade
$OR eval --model "$OUT/stage4/final" --data "$DATA" --set heldout-audio --pipeline e2e \
  --json "$OUT/eval-heldout-audio.json" --quiet
.venv/bin/python benchmarks/speech_in.py --model "$OUT/stage4/final" --data "$DATA" \
  --set heldout-audio --per-category 0 --latency-n 20 --json "$OUT/speech_in.json"
echo "done: $OUT/stage4/final hears end to end (omni-reasoner ask --audio Q.wav --model $OUT/stage4/final)"
