#!/usr/bin/env bash
# The full-scale path on one GPU, in one short run (docs/training.md, "Checked on one GPU with
# the real shapes", reports what it printed):
#   1. stage 3 on a random Qwen2.5-0.5B-shaped Thinker (configs/full/stage3.yaml, real
#      batch and sequence limits, device auto): steps, tokens/s, peak GPU memory;
#   2. evaluation of that checkpoint on the GPU (generation with the KV cache);
#   3. the audio path at full shape: a random Whisper-large-v3-shaped encoder, the encoder
#      cache filled on the GPU, and stage 1 (configs/full/stage1.yaml) for a few steps;
#   4. the tiny preset's stage 3, unchanged command, device picked automatically; the
#      model it trains evaluated on the GPU and on the CPU, to compare answers.
# Data comes prebuilt (the machine reaches nothing): .gpu/tiny and .gpu/full, made by
#   omni-reasoner data build --preset tiny --n 4000 --out .gpu/tiny
#   omni-reasoner data build --preset full --n 2000 --out .gpu/full
#   omni-reasoner data speak .gpu/full --split train --limit-per-split 96 --verify none
#   mkdir -p .gpu/whisper-tokenizer && cp ~/.cache/omni-reasoner/whisper-tiny.en-hf/tokenizer*.json .gpu/whisper-tokenizer/
# (a GPU machine without the speech wheels also needs soundfile and cffi: carry their wheels).
# SHAPE=tiny runs the same steps with tiny shapes on a CPU (to check the script itself).
set -uo pipefail
SHAPE=${SHAPE:-real}
PARTS=${PARTS:-1234}  # e.g. PARTS=34 reruns the audio and tiny parts only
PY=${PY:-python3}
OUT=${OUT:-/tmp/gpu-check}
WORK=${WORK:-/tmp/gpu-work}
mkdir -p "$OUT" "$WORK"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
export TOKENIZERS_PARALLELISM=false
if [ "$SHAPE" = real ]; then
  THINKER=qwen2.5-0.5b WHISPER=large-v3 FULL_STEPS=40 TINY_STEPS=400 DEVICE=cuda
else
  THINKER=tiny WHISPER=tiny FULL_STEPS=4 TINY_STEPS=20 DEVICE=cpu
fi
step() { echo; echo "=== $* ($(date +%T))"; }
watch_memory() {  # peak GPU memory of the whole machine, sampled every 200 ms
  command -v nvidia-smi > /dev/null || return 0
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$WORK/$1.mem" &
  MEM_PID=$!
}
stop_memory() {
  [ -n "${MEM_PID:-}" ] || return 0
  kill "$MEM_PID" 2> /dev/null; wait "$MEM_PID" 2> /dev/null
  echo "peak GPU memory used: $(sort -n "$WORK/$1.mem" | tail -1) MiB"; MEM_PID=
}
watched_train() {  # NAME RUN_DIR TIMEOUT_S TRAIN_ARGS...: memory watched, log copied to $OUT
  local name=$1 run=$2 limit=$3 started=$SECONDS
  shift 3
  watch_memory "$name"
  timeout "$limit" "$PY" -m omni_reasoner.cli train --out "$run" --quiet "$@"
  echo "exit $? after $((SECONDS - started)) s"
  stop_memory "$name"
  cp "$run/log.jsonl" "$OUT/$name.jsonl" 2> /dev/null
  tail -3 "$run/log.jsonl" 2> /dev/null
}

# the full configs as they are, except: no in-training evaluation (a random 0.5B model
# would generate to the budget 400 times) and the random Whisper from $WORK
# STAGE3_BATCH="8 8" trains stage 3 with batch_size 8 and grad_accum 8 (the same 64 streams
# a step in smaller pieces), to see what the micro-batch costs in memory.
read -r BATCH ACCUM <<< "${STAGE3_BATCH:-16 4}"
sed -e 's/^eval_every: .*/eval_every: 0/' -e "s/^batch_size: .*/batch_size: $BATCH/" \
  -e "s/^grad_accum: .*/grad_accum: $ACCUM/" configs/full/stage3.yaml > "$WORK/stage3.yaml"
RUN3="$WORK/full-stage3-${BATCH}x$ACCUM"  # a run folder per shape: a run resumes only its own config
sed -e "s#models/whisper-large-v3#$WORK/whisper#" -e "s#^  cache: .*#  cache: $WORK/cache#" \
  configs/full/stage1.yaml > "$WORK/stage1.yaml"

step environment
"$PY" -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
nproc

"$PY" scripts/random_backbone.py thinker "$WORK/thinker" --shape "$THINKER" || exit 1

if [[ $PARTS == *1* ]]; then
step "1. stage 3 at full shape ($THINKER, random weights, batch $BATCH x $ACCUM)"
watched_train full-stage3 "$RUN3" 200 --config "$WORK/stage3.yaml" --data .gpu/full \
  --init-from "$WORK/thinker" --max-steps "$FULL_STEPS"
fi

if [[ $PARTS == *2* ]]; then
step "2. evaluation of the $THINKER-shaped checkpoint on $DEVICE"
timeout 120 "$PY" -m omni_reasoner.cli eval --model "$RUN3/final" --data .gpu/full \
  --set test --per-category 2 --latency-n 2 --device "$DEVICE" --quiet \
  --json "$OUT/full-eval.json"
echo "exit $?"
fi

if [[ $PARTS == *3* ]]; then
step "3. audio at full shape (Whisper $WHISPER, random weights): cache and stage 1"
# the machine has no speech wheels: Whisper's tokenizer travels in .gpu/whisper-tokenizer
TOKENIZER=(); [ -d .gpu/whisper-tokenizer ] && TOKENIZER=(--tokenizer .gpu/whisper-tokenizer)
"$PY" scripts/random_backbone.py whisper "$WORK/whisper" --shape "$WHISPER" "${TOKENIZER[@]}" || exit 1
timeout 90 "$PY" -m omni_reasoner.cli audio cache .gpu/full --split train \
  --encoder "$WORK/whisper" --cache "$WORK/cache" --device "$DEVICE" --quiet
echo "exit $?"
STAGE3="$RUN3/final"; [ -d "$STAGE3" ] || STAGE3="$WORK/thinker"  # part 1 skipped
watched_train full-stage1 "$WORK/full-stage1" 120 --config "$WORK/stage1.yaml" \
  --data .gpu/full --init-from "$STAGE3" --max-steps 20
fi
if [[ $PARTS == *4* ]]; then
step "4. the tiny preset's stage 3, device auto"
timeout 150 "$PY" -m omni_reasoner.cli train --config configs/tiny/stage3.yaml --data .gpu/tiny \
  --out "$WORK/tiny" --max-steps "$TINY_STEPS" --quiet
echo "exit $?"
cp "$WORK/tiny/log.jsonl" "$OUT/tiny.jsonl" 2> /dev/null
tail -2 "$WORK/tiny/log.jsonl" 2> /dev/null
for device in "$DEVICE" cpu; do
  timeout 120 "$PY" -m omni_reasoner.cli eval --model "$WORK/tiny/final" --data .gpu/tiny \
    --set test --per-category 10 --latency-n 3 --device "$device" --quiet \
    --json "$OUT/tiny-eval-$device.json"
  echo "exit $?"
done
fi
step done
