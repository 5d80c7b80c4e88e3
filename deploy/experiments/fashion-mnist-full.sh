#!/usr/bin/env bash
# The distillation results (deploy/experiments/README.md) on the full Fashion-MNIST, regenerated end to end:
#   for each seed: train the teacher, precompute its soft targets, distil the student, train the baseline, evaluate
#   (deploy/bin/distill run conf/fashion-mnist-full.conf -P seed=S), in two regimes:
#     few-labels: the students see the labels of 5% of the training rows (the config's default);
#     all-labels: the students see every label (same teacher and store, reused: run skips up-to-date stages);
#     few-labels at T=1: the same teacher, store and baseline, the distilled student at temperature 1
#       (distill into another path, then evaluate the three models side by side).
#   Then prints the mean/std summary of each regime (deploy/bin/distill summarize), with the epoch each model kept.
# Protocol (the defaults): 10% of the training rows are the validation split; every model stops early when its
# validation accuracy has not improved for 5 epochs (at most the config's epochs) and keeps its best epoch; the
# student alone trains on the labelled rows only. The test set is read by evaluate alone.
# Needs data/fashion-mnist/{train,test}: run data-samples/fetch-fashion-mnist.sh first.
# usage: deploy/experiments/fashion-mnist-full.sh [SEED...]      (default seeds: 1 2 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
DISTILL=deploy/bin/distill
CONF=conf/fashion-mnist-full.conf

few=() all=() t1=()
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
  echo "== seed $seed: few labels (5%), T=1 ==" >&2
  if [[ ! -f "$dir/t1/student/_SUCCESS" ]]; then
    "$DISTILL" distill "$CONF" -P seed="$seed" -P distill.temperature=1.0 -P student.path="$dir/t1/student"
  fi
  if [[ ! -f "$dir/t1/evaluation/_SUCCESS" ]]; then
    "$DISTILL" evaluate "$CONF" -P seed="$seed" -P evaluate.path="$dir/t1/evaluation" \
      --model teacher="$dir/teacher" --model student="$dir/t1/student" --model baseline="$dir/baseline"
  fi
  t1+=("$dir/t1/evaluation/metrics.json")
done

echo
echo "### Few labels: students see 5% of the training labels; the teacher's soft targets cover every row"
"$DISTILL" summarize "${few[@]}"
echo
echo "### Few labels, T=1: the same teachers, stores and baselines; the distilled student at temperature 1"
"$DISTILL" summarize "${t1[@]}"
echo
echo "### All labels: students see every training label"
"$DISTILL" summarize "${all[@]}"
