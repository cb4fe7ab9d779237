#!/usr/bin/env bash
# Reproduce the embedded default model from scratch on a CPU (or a GPU, picked automatically):
# build its training data, train stage 3, then fine-tune it with wording noise. Every step
# resumes where it stopped if killed; run the same command again. Logs: runs/default/log.jsonl,
# runs/default-noise/log.jsonl. About 75 + 45 minutes of a 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
OR=.venv/bin/omni-reasoner
$OR data build --preset tiny --out data/tiny-60k --n 60000
$OR train --config configs/tiny/stage3.yaml
$OR train --config configs/tiny/stage3-noise.yaml
echo "done: runs/default-noise/final (scripts/ship_default.py --run runs/default-noise ships it)"
