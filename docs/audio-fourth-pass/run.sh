#!/usr/bin/env bash
# The fourth audio pass (prepared in session 8, not yet run): stage 1 of the second pass again
# (same data, clips, step counts and starting Thinker, the default of git 3e36b1b) with
# Whisper's top encoder layer trained inside the adapter (`audio.whisper_layers: 1` in this
# folder's stage1.yaml; docs/audio-model.md). Then how well each stage-1 checkpoint hears,
# on the dev voices (the valid_phrasing clips: accent en-029 and the iven family, never in
# training; not the test voices), beside the second pass's MLP stage 1 and the third pass's
# `layers: 2` stage 1 where they are on this machine (runs/audio, runs/audio-l2; elsewhere
# rerun docs/audio-second-pass/run.sh and docs/audio-third-pass/run.sh up to stage 1 first).
# About 20 min of cache (20,000 clips at the new depth) + 35 min of stage 1 on one core.
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root
if [ ! -f runs/default-3e36b1b/model.safetensors ]; then  # the starting Thinker, from git
  mkdir -p runs/default-3e36b1b
  for f in $(git ls-tree --name-only 3e36b1b src/omni_reasoner/checkpoints/default/); do
    git show "3e36b1b:$f" > "runs/default-3e36b1b/$(basename "$f")"
  done
fi
OR=.venv/bin/omni-reasoner
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
$OR data speak data/tiny-60k --split valid_phrasing --verify none
$OR audio cache data/tiny-60k --split train --whisper-layers 1
$OR train --config docs/audio-fourth-pass/stage1.yaml --init-from runs/default-3e36b1b
for run in audio audio-l2 audio-wl1; do
  [ -d "runs/$run/stage1/final" ] || continue
  .venv/bin/python benchmarks/hearing.py --model "runs/$run/stage1/final" --data data/tiny-60k \
    --split valid_phrasing --per-category 0 --no-whisper --json "runs/audio-wl1/hearing-dev-$run.json" \
    | tee "runs/audio-wl1/hearing-dev-$run.txt"
done
