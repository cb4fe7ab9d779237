#!/usr/bin/env bash
# The second pass of the audio chain (session 4): scripts/train_audio_chain.sh with the stage
# configs of this folder (fewer steps than configs/tiny/, to fit the session), 16,000 training
# clips spoken (stage 1 reads all 20,000 spoken ones), the 248 kept held-out-voice test clips.
# It started from the default of git commit 3e36b1b (the stage-3 model before the
# wording-noise fine-tune). It ran as: OMP_NUM_THREADS=2 CONFIGS=runs/audio/configs bash scripts/train_audio_chain.sh
set -euo pipefail
cd "$(dirname "$0")/../.."  # the repository root
OMP_NUM_THREADS=2 CONFIGS=docs/audio-second-pass bash scripts/train_audio_chain.sh
