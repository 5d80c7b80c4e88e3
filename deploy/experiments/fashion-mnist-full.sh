#!/usr/bin/env bash
# The README's distillation results on the full Fashion-MNIST, regenerated end to end:
#   for each seed: train the teacher, precompute its soft targets, distil the student, train the baseline, evaluate
#   (deploy/bin/distill run conf/fashion-mnist-full.conf -P seed=S), in two regimes:
#     few-labels: the students see the labels of 5% of the training rows (the config's default);
#     all-labels: the students see every label (same teacher and store, reused: run skips up-to-date stages).
#   Then prints the mean/std summary of each regime (deploy/bin/distill summarize).
# Needs data/fashion-mnist/{train,test}: run data-samples/fetch-fashion-mnist.sh first.
# usage: deploy/experiments/fashion-mnist-full.sh [SEED...]      (default seeds: 1 2 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
DISTILL=deploy/bin/distill
CONF=conf/fashion-mnist-full.conf

few=() all=()
for seed in "${SEEDS[@]}"; do
  dir="target/runs/fashion-mnist-full/seed-$seed"
  echo "== seed $seed: few labels (5%) ==" >&2
  "$DISTILL" run "$CONF" -P seed="$seed"
  few+=("$dir/evaluation/metrics.json")
  echo "== seed $seed: all labels ==" >&2
  "$DISTILL" run "$CONF" -P seed="$seed" -P distill.labelled-fraction=1.0 \
    -P student.path="$dir/all-labels/student" -P baseline.path="$dir/all-labels/baseline" \
    -P evaluate.path="$dir/all-labels/evaluation"
  all+=("$dir/all-labels/evaluation/metrics.json")
done

echo
echo "### Few labels: students see 5% of the training labels; the teacher's soft targets cover every row"
"$DISTILL" summarize "${few[@]}"
echo
echo "### All labels: students see every training label"
"$DISTILL" summarize "${all[@]}"
