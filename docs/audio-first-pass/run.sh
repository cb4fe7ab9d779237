#!/usr/bin/env bash
# A half-budget first pass of scripts/train_audio_chain.sh (same stages, fewer steps).
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root; it ran as runs/audio-short/run.sh with these configs there
OR=.venv/bin/omni-reasoner
DATA=data/tiny-60k
OUT=runs/audio-short
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
$OR data speak "$DATA" --split test --limit-per-split 300 --verify all --workers 1 --quiet
# no full cache here: the stages encode the clips they use, once, through the cache
for stage in 1 2 4; do
  init=src/omni_reasoner/checkpoints/default
  [ "$stage" = 2 ] && init="$OUT/stage1/final"
  [ "$stage" = 4 ] && init="$OUT/stage2/final"
  $OR train --config "$OUT/stage$stage.yaml" --data "$DATA" --out "$OUT/stage$stage" --init-from "$init" --quiet
done
$OR eval --model "$OUT/stage4/final" --data "$DATA" --set heldout-audio --pipeline e2e --json "$OUT/eval-heldout-audio.json" --quiet
.venv/bin/python benchmarks/speech_in.py --model "$OUT/stage4/final" --data "$DATA" --set heldout-audio --per-category 0 --latency-n 20 --json "$OUT/speech_in.json"
echo CHAIN-DONE
