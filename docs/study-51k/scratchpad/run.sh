#!/usr/bin/env bash
# Session 16: the schedule study's headline pair (think-first, interleave:2:8+nopad) at the
# 51,200-problem budget with the *scratchpad* trace style (the model does its own column
# arithmetic), beside section 9's calculator runs. Same stage-3 config, seed, steps and
# wording version (1) as the calculator study; the data differ only in the trace style and
# size: a scratchpad cannot write 11 % of GSM8K's training problems (fractions, decimals), so
# 60,000 does not fill the mix's GSM8K share and the build is 53,000 problems (of which the
# 51,200-problem budget reads 97 %). Two runs at a time, one torch thread each; each resumes.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export HF_HUB_OFFLINE=1
mkdir -p runs  # the per-run logs below go there
[ -f data/tiny-53k-sp/manifest.json ] || .venv/bin/omni-reasoner data build --preset tiny \
  --n 53000 --wording 1 --trace scratchpad --out data/tiny-53k-sp
for schedule in think-first interleave:2:8+nopad; do
  OMP_NUM_THREADS=1 .venv/bin/python scripts/study.py --data data/tiny-53k-sp --steps 1600 \
    --schedule "$schedule" --out runs/study-51k --publish docs/study-51k \
    > "runs/study-51k-sp-${schedule//[:+]/_}.log" 2>&1 &
done
wait
