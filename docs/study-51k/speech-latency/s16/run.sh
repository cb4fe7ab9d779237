#!/usr/bin/env bash
# Session 16: the think-first / interleave TTFA ratio on the *scratchpad* study pair
# (docs/study-51k/scratchpad/run.sh: the model writes its own column arithmetic, about 66
# reasoning tokens before think-first's first spoken word against 21 for the calculator
# trace). Same settings as sessions 8 and 13 (--n 20 --repeats 2 --threads 1, Piper with the
# phrase cache), then espeak; each printout is one run of the benchmark, the two schedules
# taking turns on each question inside it.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
export HF_HUB_OFFLINE=1
out=docs/study-51k/speech-latency/s16
pair=(--pair think-first=runs/study-51k/tiny-53k-sp--think-first/final
      --pair interleave:2:8+nopad=runs/study-51k/tiny-53k-sp--interleave_2_8-nopad/final)
# the time to the first spoken token alone (no voice), and what feeding forced tokens saves
.venv/bin/python benchmarks/latency.py --data data/tiny-53k-sp --n 20 --repeats 2 --threads 1 \
  "${pair[@]}" | tee "$out/latency-n20${SUFFIX:-}.txt"
for talker in ${TALKERS:-piper espeak}; do
  .venv/bin/python benchmarks/speech_latency.py --data data/tiny-53k-sp --n 20 --repeats 2 \
    --threads 1 --talker "$talker" "${pair[@]}" | tee "$out/n20-$talker${SUFFIX:-}.txt"
done
