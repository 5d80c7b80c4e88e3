#!/usr/bin/env bash
# Cross-modal distillation on the full Fashion-MNIST: the teacher on the pixels, a 56-32-10 student on each image's
# profile (28 row means, 28 column means), and the same MLP alone on the profile, per seed; then summarize.
#   1. data/fashion-mnist/{train,test} (data-samples/fetch-fashion-mnist.sh) get their second view, written once to
#      data/fashion-mnist-views/{train,test} (8 and 2 files) by io.distillery.data.ViewGenerator;
#   2. run conf/fashion-mnist-cross-modal.conf on them, one run directory per seed.
# usage: deploy/experiments/cross-modal.sh [SEED...]      (default seeds: 1 2 3)
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
SRC=data/fashion-mnist
VIEWS=data/fashion-mnist-views
[[ -d "$SRC/train" && -d "$SRC/test" ]] || { echo "error: $SRC/{train,test} missing; run data-samples/fetch-fashion-mnist.sh first" >&2; exit 2; }

OPENS="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' pom.xml)"
for split in train test; do
  [[ -f "$VIEWS/$split/_SUCCESS" ]] && continue
  parts=$([[ $split == train ]] && echo 8 || echo 2)
  mvn -q -B -pl pipeline compile exec:exec -Dexec.executable=java -Dexec.classpathScope=compile \
    "-Dexec.args=-Xmx4g $OPENS -classpath %classpath io.distillery.data.ViewGenerator profile $ROOT/$SRC/$split $ROOT/$VIEWS/$split $parts"
done

metrics=()
for seed in "${SEEDS[@]}"; do
  dir="target/runs/fashion-mnist-cross-modal-full/seed-$seed"
  deploy/bin/distill run conf/fashion-mnist-cross-modal.conf -P seed="$seed" -P "run-dir=\"$dir\"" \
    -P "data.train=\"$VIEWS/train\"" -P "data.test=\"$VIEWS/test\""
  metrics+=("$dir/evaluation/metrics.json")
done
deploy/bin/distill summarize "${metrics[@]}"
