#!/usr/bin/env bash
# Students distilled from dense and top-k soft-target stores of ONE Fashion-MNIST teacher, over several seeds:
#   1. train the teacher once (seed 1) and write its stores once, without taps:
#        dense (float32 logits), top-10 float16, top-3 float16, top-1 float16;
#   2. for each seed: distil the same student from each store (missing-mass = uniform, the default; the top-3 and
#      top-1 stores also with missing-mass = renormalise), train the baseline (the student alone), and evaluate them
#      all side by side on the held-out rows;
#   3. print mean ± sample std of each model's accuracy over the seeds (deploy/bin/distill summarize).
# With 10 classes top-10 keeps every class (only float16 rounding differs from dense); top-3 and top-1 drop mass.
# Every stage is skipped when its output is already committed, so a rerun only does what is missing.
#
# usage: deploy/experiments/topk-fashion-mnist.sh [--sample] [SEED...]     (default seeds: 1 2 3)
#   default:  conf/fashion-mnist-full.conf on data/fashion-mnist/{train,test} (run data-samples/fetch-fashion-mnist.sh)
#   --sample: conf/fashion-mnist-offline.conf on the committed 3,000-row sample (minutes; validates the script)
# Extra settings for every stage: TOPK_ARGS='-P distill.temperature=1 ...' (word-split).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CONF=conf/fashion-mnist-full.conf
NAME=full
if [[ "${1:-}" == "--sample" ]]; then
  CONF=conf/fashion-mnist-offline.conf
  NAME=sample
  shift
fi
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
DISTILL=deploy/bin/distill
DIR="target/runs/topk-fashion-mnist-$NAME"
# shellcheck disable=SC2206
EXTRA=(${TOPK_ARGS:-})
COMMON=(-P run-dir="\"$DIR\"" -P teacher.path="\"$DIR/teacher\"" -P 'soft-targets.taps=[]' "${EXTRA[@]}")

done_() { [[ -f "$1/_SUCCESS" ]]; }

echo "== teacher (seed 1) ==" >&2
done_ "$DIR/teacher" || "$DISTILL" train-teacher "$CONF" "${COMMON[@]}" -P seed=1

# name | soft-targets settings
STORES=(
  "dense|"
  "top10-f16|-P soft-targets.top-k=10 -P soft-targets.logit-precision=float16"
  "top3-f16|-P soft-targets.top-k=3 -P soft-targets.logit-precision=float16"
  "top1-f16|-P soft-targets.top-k=1 -P soft-targets.logit-precision=float16"
)
for s in "${STORES[@]}"; do
  name="${s%%|*}"
  # shellcheck disable=SC2206
  settings=(${s#*|})
  echo "== store $name ==" >&2
  done_ "$DIR/stores/$name" || "$DISTILL" soft-targets "$CONF" "${COMMON[@]}" -P seed=1 \
    -P soft-targets.path="\"$DIR/stores/$name\"" "${settings[@]}"
done

# model name | store | missing-mass
STUDENTS=(
  "dense|dense|uniform"
  "top10-f16|top10-f16|uniform"
  "top3-f16|top3-f16|uniform"
  "top1-f16|top1-f16|uniform"
  "top3-f16-renorm|top3-f16|renormalise"
  "top1-f16-renorm|top1-f16|renormalise"
)
metrics=()
for seed in "${SEEDS[@]}"; do
  sdir="$DIR/seed-$seed"
  models=(--model teacher="$DIR/teacher")
  for st in "${STUDENTS[@]}"; do
    IFS='|' read -r name store missing <<< "$st"
    echo "== seed $seed: student from $name ==" >&2
    done_ "$sdir/$name" || "$DISTILL" distill "$CONF" "${COMMON[@]}" -P seed="$seed" \
      -P soft-targets.path="\"$DIR/stores/$store\"" -P distill.missing-mass="$missing" \
      -P student.path="\"$sdir/$name\""
    models+=(--model "$name=$sdir/$name")
  done
  echo "== seed $seed: baseline (the student alone) ==" >&2
  done_ "$sdir/baseline" || "$DISTILL" distill "$CONF" "${COMMON[@]}" -P seed="$seed" --baseline \
    -P soft-targets.path="\"$DIR/stores/dense\"" -P baseline.path="\"$sdir/baseline\""
  models+=(--model baseline="$sdir/baseline")
  echo "== seed $seed: evaluate ==" >&2
  done_ "$sdir/evaluation" || "$DISTILL" evaluate "$CONF" "${COMMON[@]}" -P seed="$seed" \
    -P evaluate.path="\"$sdir/evaluation\"" "${models[@]}"
  metrics+=("$sdir/evaluation/metrics.json")
done

echo
echo "### Students from dense and top-k stores of one teacher ($CONF, seeds ${SEEDS[*]})"
"$DISTILL" summarize "${metrics[@]}"
