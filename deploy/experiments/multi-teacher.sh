#!/usr/bin/env bash
# The multi-teacher comparison (deploy/experiments/README.md) on the full Fashion-MNIST, end to end. For each seed:
#   run conf/fashion-mnist-multi-teacher-full.conf: both teachers (MLP, CNN) and their stores, the student from both
#     (mean-probabilities) and the student alone (labelled rows only);
#   the student from both with each other combiner (distill --multi-teacher into its own path);
#   the student from each teacher alone (distill from that teacher's store);
#   evaluate all of them; then summarize against the student alone and against the better single-teacher student.
# Protocol (the defaults): 10% validation split, early stopping (patience 5), the student alone on the labelled rows.
# Needs data/fashion-mnist/{train,test}: run data-samples/fetch-fashion-mnist.sh first.
# usage: deploy/experiments/multi-teacher.sh [SEED...]      (default seeds: 1 2 3)
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
DISTILL=deploy/bin/distill
CONF=conf/fashion-mnist-multi-teacher-full.conf
committed() { [[ -f "$1/_SUCCESS" ]]; }

metrics=()
for seed in "${SEEDS[@]}"; do
  dir="target/runs/fashion-mnist-multi-teacher-full/seed-$seed"
  mt="$dir/multi-teacher"
  echo "== seed $seed: teachers, stores, student from both (mean-probabilities), student alone ==" >&2
  "$DISTILL" run "$CONF" -P seed="$seed"
  models=(--model "teacher-mlp=$mt/teachers/mlp" --model "teacher-cnn=$mt/teachers/cnn"
          --model "baseline=$dir/baseline" --model "mean-probabilities=$mt/student")
  for combine in mean-logits confidence per-teacher-loss; do
    committed "$dir/$combine" || "$DISTILL" distill "$CONF" -P seed="$seed" --multi-teacher \
      -P multi-teacher.combine="$combine" -P "multi-teacher.student-path=\"$dir/$combine\""
    models+=(--model "$combine=$dir/$combine")
  done
  for teacher in mlp cnn; do
    committed "$dir/only-$teacher" || "$DISTILL" distill "$CONF" -P seed="$seed" \
      -P "teacher.path=\"$mt/teachers/$teacher\"" -P "soft-targets.path=\"$mt/stores/$teacher\"" \
      -P "student.path=\"$dir/only-$teacher\""
    models+=(--model "only-$teacher=$dir/only-$teacher")
  done
  committed "$dir/comparison" || "$DISTILL" evaluate "$CONF" -P seed="$seed" \
    -P "evaluate.path=\"$dir/comparison\"" "${models[@]}"
  metrics+=("$dir/comparison/metrics.json")
done

echo
echo "### Every student against the student alone (seeds ${SEEDS[*]})"
"$DISTILL" summarize --reference baseline "${metrics[@]}"
echo
echo "### Against the student from the CNN teacher alone"
"$DISTILL" summarize --reference only-cnn "${metrics[@]}"
echo
echo "### Against the student from the MLP teacher alone"
"$DISTILL" summarize --reference only-mlp "${metrics[@]}"
