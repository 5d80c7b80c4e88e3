#!/usr/bin/env bash
# The int8 table (deploy/experiments/README.md) on the full Fashion-MNIST: does learning int8 weights under the
# distillation objective beat rounding a float student after training?
#   1. the convolutional teacher and store of the loss-term table (conf/fashion-mnist-loss-terms.conf, seed 1; reused
#      from loss-terms.sh's run directory when it is there, trained the same way otherwise);
#   2. for each seed, the MLP student 784-32-10 four ways: kd and alone (ce on the labelled rows) in float32, and the
#      same two with student.model.quantize = int8 (fake int8 weights, straight-through gradients), then the two
#      float students quantised after training (distill quantize: kd-ptq, alone-ptq);
#   3. evaluate the seed's eight models and the teacher, then summarise over the seeds (mean ± sample std, the margin
#      over the float student alone, the epoch each model kept).
# Protocol: the loss-term table's (10% validation split, early stopping with patience 10 on validation accuracy, the
# best epoch kept, the test set read by evaluate alone); a post-training quantised model is its float source rounded,
# so it has no epochs of its own. Each seed's metrics.json is kept in $RESULTS (committed), and a seed kept there is
# not trained again. Tables to stdout and $RUN_DIR/results.md.
#
# usage: deploy/experiments/quantized.sh [DATA_DIR]
#   DATA_DIR        holds train/ and test/ Parquet (default data/fashion-mnist; data-samples/fetch-fashion-mnist.sh)
#   SEEDS           student seeds (default "1 2 3")
#   RUN_DIR         where the students go (default target/runs/quantized)
#   SHARED          the teacher and store (default target/runs/loss-terms/shared, loss-terms.sh's)
#   RESULTS         the kept per-seed evaluations (default deploy/experiments/results/quantized)
#   TEACHER_EPOCHS, STUDENT_EPOCHS   override the config's 8 and at most 60 (e.g. 1 and 2 on the sample)
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DATA_DIR="${1:-${DATA_DIR:-data/fashion-mnist}}"
read -r -a SEED_LIST <<< "${SEEDS:-1 2 3}"
RUN_DIR="${RUN_DIR:-target/runs/quantized}"
SHARED="${SHARED:-target/runs/loss-terms/shared}"
RESULTS="${RESULTS:-deploy/experiments/results/quantized}"
DISTILL=deploy/bin/distill
CONF=conf/fashion-mnist-loss-terms.conf

COMMON=(-P "data.train=\"$DATA_DIR/train\"" -P "data.test=\"$DATA_DIR/test\"" -P "run-dir=\"$SHARED\"")
[[ -n "${TEACHER_EPOCHS:-}" ]] && COMMON+=(-P "teacher.train.epochs=$TEACHER_EPOCHS")
[[ -n "${STUDENT_EPOCHS:-}" ]] && COMMON+=(-P "student.train.epochs=$STUDENT_EPOCHS")
KD='[{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1}]'

committed() { [[ -f "$1/_SUCCESS" ]]; }
stamp() { date -u +%H:%M:%S; }

echo "== $(stamp) teacher and soft-target store (seed 1) in $SHARED ==" >&2
committed "$SHARED/teacher" || "$DISTILL" train-teacher "$CONF" "${COMMON[@]}" -P seed=1 --resume
committed "$SHARED/soft-targets" || "$DISTILL" soft-targets "$CONF" "${COMMON[@]}" -P seed=1

kept_all=()
for seed in "${SEED_LIST[@]}"; do
  dir="$RUN_DIR/seed-$seed"
  kept="$RESULTS/seed-$seed/metrics.json"
  if [[ -f "$kept" ]]; then
    echo "== $(stamp) seed $seed kept in $kept ==" >&2
    kept_all+=("$kept")
    continue
  fi
  models=(--model "teacher=$SHARED/teacher")
  # name | quantize | distill.loss ("baseline" = distill --baseline)
  for v in "alone|none|baseline" "kd|none|$KD" "alone-int8|int8|baseline" "kd-int8|int8|$KD"; do
    IFS='|' read -r name quantize loss <<< "$v"
    out="$dir/$name"
    args=("$CONF" "${COMMON[@]}" -P "seed=$seed" -P "teacher.path=\"$SHARED/teacher\""
          -P "soft-targets.path=\"$SHARED/soft-targets\"" -P "student.path=\"$out\"" -P "baseline.path=\"$out\""
          -P "student.model.quantize=$quantize")
    if ! committed "$out"; then
      echo "== $(stamp) seed $seed: $name ==" >&2
      if [[ "$loss" == baseline ]]; then
        "$DISTILL" distill --baseline "${args[@]}" --resume
      else
        "$DISTILL" distill "${args[@]}" -P "distill.loss=$loss" --resume
      fi
    fi
    models+=(--model "$name=$out")
  done
  for source in alone kd; do
    committed "$dir/$source-ptq" || "$DISTILL" quantize --model "$dir/$source" --output "$dir/$source-ptq"
    models+=(--model "$source-ptq=$dir/$source-ptq")
  done
  eval_dir="$dir/evaluation"
  if ! committed "$eval_dir"; then
    echo "== $(stamp) seed $seed: evaluate ==" >&2
    "$DISTILL" evaluate "$CONF" "${COMMON[@]}" -P "seed=$seed" -P "evaluate.path=\"$eval_dir\"" "${models[@]}"
  fi
  mkdir -p "$(dirname "$kept")" "$dir/onnx"
  # What serving costs: each model's ONNX file (int8 models store one byte per weight).
  for m in alone kd alone-int8 kd-int8 alone-ptq kd-ptq; do
    [[ -f "$dir/onnx/$m.onnx" ]] || "$DISTILL" export-onnx --model "$dir/$m" --output "$dir/onnx/$m.onnx" >&2
    printf '%s\t%s\n' "$m" "$(stat -c %s "$dir/onnx/$m.onnx")"
  done > "$RESULTS/seed-$seed/onnx-bytes.tsv"
  cp "$eval_dir/metrics.json" "$kept"
  kept_all+=("$kept")
done

{
  echo "### MLP student 784-32-10 in float32 and int8, against the float student alone (seeds ${SEED_LIST[*]})"
  echo
  "$DISTILL" summarize --reference alone "${kept_all[@]}"
  echo
  echo "### The same runs against the float KD student (seeds ${SEED_LIST[*]})"
  echo
  "$DISTILL" summarize --reference kd "${kept_all[@]}"
  echo
  echo "### ONNX file of each model (export-onnx), bytes"
  echo
  echo "| model | bytes |"
  echo "|---|---:|"
  awk -F'\t' '{ print "| " $1 " | " $2 " |" }' "$(dirname "${kept_all[0]}")/onnx-bytes.tsv"
} | tee "$RUN_DIR/results.md"
