#!/usr/bin/env bash
# The third audio pass (session 6): the second pass (docs/audio-second-pass/) again, same
# data, clips, step counts and starting Thinker (the default of git 3e36b1b), with
# `layers: 2` in stage 1's adapter (the stage configs of this folder write to runs/audio-l2).
# Stages 1 and 2 ran; stage 4 was stopped at the end of the session (it resumes: run again).
# Then: benchmarks/hearing.py --no-whisper on runs/audio-l2/stage{1,2}/final (the JSONs here).
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root
if [ ! -f runs/default-3e36b1b/model.safetensors ]; then  # the starting Thinker, from git
  mkdir -p runs/default-3e36b1b
  for f in $(git ls-tree --name-only 3e36b1b src/omni_reasoner/checkpoints/default/); do
    git show "3e36b1b:$f" > "runs/default-3e36b1b/$(basename "$f")"
  done
fi
INIT=runs/default-3e36b1b OUT=runs/audio-l2 CONFIGS=docs/audio-third-pass OMP_NUM_THREADS=1 \
  bash scripts/train_audio_chain.sh
