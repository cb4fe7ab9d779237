#!/usr/bin/env bash
# Section 11 of docs/experiments.md, as run (session 7): fine-tunes of the reader default
# (runs/default-reader/final, the fp32 model behind git e140a84's shipped default) with
# different word dropout, the encoder's top layers tuned, and a longer continuation; then the
# dev-tier and training-wording evaluations (eval.sh). One thread per job, two or three jobs
# at a time on the 2-core CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
D=docs/reader-words
for arm in p30 p60 p100 t2p100 long-p100 p100-nonum p100-lr25 p100-lr10; do  # long-p100 starts from p100's final
  .venv/bin/omni-reasoner train --config $D/$arm/config.yaml
  bash $D/eval.sh $arm
done
# 1,000 fresh training-wording problems (another seed) for the cost on training wording
.venv/bin/omni-reasoner data build --config $D/dev-check-data.yaml --out data/dev-check
for arm in p100 p100-nonum p100-lr25 p100-lr10; do
  .venv/bin/omni-reasoner eval --model runs/wd/$arm/final --data data/dev-check --set valid \
    --per-category 0 --question-form spoken --latency-n 0 --json runs/wd/devcheck-$arm.json
done
# eval-old.json: the same for the reader default (the shipped model of git e140a84)
