#!/usr/bin/env bash
# Session 13: the think-first / interleave TTFA ratio with one torch thread and with both cores,
# on a think-first / interleave:2:8+nopad pair retrained with today's stage-3 recipe at the
# study's 51,200 problems (scripts/study.py --data data/tiny-60k --steps 1600 --schedule
# think-first --schedule interleave:2:8+nopad --out runs/study-51k), on the otherwise idle
# machine. Threads 1 and 2 take turns, twice; each printout is one run of the benchmark.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
export HF_HUB_OFFLINE=1
out=docs/study-51k/speech-latency/s13
pair=(--pair think-first=runs/study-51k/tiny-60k--think-first/final
      --pair interleave:2:8+nopad=runs/study-51k/tiny-60k--interleave_2_8-nopad/final)
for round in 1 2; do
  for threads in 1 2; do
    .venv/bin/python benchmarks/speech_latency.py --data data/tiny-60k --n 20 --repeats 2 \
      --threads "$threads" --max-new-tokens 300 --talker piper "${pair[@]}" \
      | tee "$out/n20-piper-threads-$threads-round-$round.txt"
  done
done
