#!/usr/bin/env bash
# Self-distillation on the full Fashion-MNIST: per seed, `run conf/fashion-mnist-self-distill-full.conf` trains the
# multi-exit student taught by its deepest exit and the same exits on the labels alone, and evaluates every exit of
# both; then one summary per exit against the same exit trained alone (the goal: the shallow exits gain 2 points).
# Protocol (the defaults): 10% validation split, early stopping, the test set read by evaluate alone.
# Needs data/fashion-mnist/{train,test}: run data-samples/fetch-fashion-mnist.sh first.
# usage: deploy/experiments/self-distill.sh [SEED...]      (default seeds: 1 2 3)
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
CONF=conf/fashion-mnist-self-distill-full.conf

metrics=()
for seed in "${SEEDS[@]}"; do
  echo "== seed $seed ==" >&2
  deploy/bin/distill run "$CONF" -P seed="$seed"
  metrics+=("target/runs/fashion-mnist-self-distill-full/seed-$seed/evaluation/metrics.json")
done

for exit in output exit-hidden2 exit-hidden1; do
  echo
  echo "### Exit $exit: taught by the deepest exit (self-distill@) against trained alone (alone@), seeds ${SEEDS[*]}"
  deploy/bin/distill summarize --reference "alone@$exit" "${metrics[@]}"
done
