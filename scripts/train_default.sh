#!/usr/bin/env bash
# Reproduce the embedded default model from scratch on a CPU (or a GPU, picked automatically):
# build its training data, then train. Both steps resume where they stopped if killed;
# run the same command again. Logs: runs/default/log.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
OR=.venv/bin/omni-reasoner
$OR data build --preset tiny --out data/tiny-60k --n 60000
$OR train --config configs/tiny/stage3.yaml
echo "done: runs/default/final (copy it to src/omni_reasoner/checkpoints/default to ship it)"
