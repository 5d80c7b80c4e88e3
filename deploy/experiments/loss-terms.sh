#!/usr/bin/env bash
# The loss-term table, regenerated end to end (deploy/experiments/README.md) on the full Fashion-MNIST:
#   1. one convolutional teacher and its soft-target store (taps conv2 and fc), trained once with seed 1 and shared by
#      every variant and seed (conf/fashion-mnist-loss-terms.conf);
#   2. for each seed, the same students from the same store with each objective (distill -P distill.loss=...):
#        MLP student 784-32-10:  alone (ce), kd, dkd, logit-mse, hint+kd, similarity+kd, rkd+kd
#        conv student:           conv-alone (ce), conv-kd, attention+kd
#      every response part is 0.9 * <term> + 0.1 * ce (T = 4); feature terms are added with their papers' weights;
#   3. evaluate each seed's models (teacher included), then summarise over the seeds: mean ± sample std, the
#      margin over the same student trained alone, and the epoch each model kept.
# Protocol (the config's): 10% of the training rows are the validation split; every model stops early when its
# validation accuracy has not improved for 10 epochs and keeps its best epoch; the student alone trains on the
# labelled rows only. The test set is read by evaluate alone. The tables go to stdout and to $RUN_DIR/results.md.
# Stages whose output is committed are skipped and training resumes from its last epoch checkpoint (--resume), so an
# interrupted run continues where it stopped. Each seed's evaluation (metrics.json, a few KB) is also kept in
# $RESULTS, committed to the repository: a seed whose evaluation is there is not trained again, so the table can be
# completed over several sessions (the teacher is retrained from seed 1, bit for bit the same: the script stops if
# its test accuracy differs from the one the kept evaluations recorded). Delete $RESULTS to measure everything anew.
#
# usage: deploy/experiments/loss-terms.sh [DATA_DIR]
#   DATA_DIR        holds train/ and test/ Parquet (default data/fashion-mnist; data-samples/fetch-fashion-mnist.sh)
#   SEEDS           student seeds (default "1 2 3")
#   RUN_DIR         where everything goes (default target/runs/loss-terms)
#   RESULTS         the kept per-seed evaluations (default deploy/experiments/results/loss-terms)
#   TEACHER_EPOCHS, STUDENT_EPOCHS   override the config's 8 and at most 60 (e.g. 1 and 2 to check the script on
#                   the sample)
#   CONV_STUDENT_EPOCHS  epochs of the three convolutional students (default 5, or STUDENT_EPOCHS when set): each
#                   full-data epoch takes 65-70 s here (the student alone too: it passes over its labelled rows
#                   20 times per epoch, as many minibatches), so 5 epochs keep the 9 conv runs under an hour; they are
#                   compared only with each other
#   OMP_NUM_THREADS one native thread per Spark task by default: local[*] already runs one task per core, and with
#                   ND4J's default (all cores per task) the convolutional students ran 1.5x slower on 2 cores
set -euo pipefail
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DATA_DIR="${1:-${DATA_DIR:-data/fashion-mnist}}"
read -r -a SEED_LIST <<< "${SEEDS:-1 2 3}"
RUN_DIR="${RUN_DIR:-target/runs/loss-terms}"
RESULTS="${RESULTS:-deploy/experiments/results/loss-terms}"
DISTILL=deploy/bin/distill
CONF=conf/fashion-mnist-loss-terms.conf
SHARED="$RUN_DIR/shared"

COMMON=(-P "data.train=\"$DATA_DIR/train\"" -P "data.test=\"$DATA_DIR/test\"" -P "run-dir=\"$SHARED\"")
[[ -n "${TEACHER_EPOCHS:-}" ]] && COMMON+=(-P "teacher.train.epochs=$TEACHER_EPOCHS")
[[ -n "${STUDENT_EPOCHS:-}" ]] && COMMON+=(-P "student.train.epochs=$STUDENT_EPOCHS")

KD='{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1}'
CONV_STUDENT='[{type=conv,name=c1,units=8,kernel=5},{type=pool,name=p1,kernel=2},{type=conv,name=c2,units=8,kernel=5},{type=pool,name=p2,kernel=2},{type=dense,name=hidden1,units=32}]'
# name | student (mlp or conv) | distill.loss ("baseline" = distill --baseline: ce on the labelled rows only)
VARIANTS=(
  "alone|mlp|baseline"
  "kd|mlp|[$KD]"
  "dkd|mlp|[{term=dkd,weight=0.9,temperature=4,alpha=1,beta=8},{term=ce,weight=0.1}]"
  "logit-mse|mlp|[{term=logit-mse,weight=0.9},{term=ce,weight=0.1}]"
  "hint+kd|mlp|[$KD,{term=hint,weight=1,student-layer=hidden1,teacher-layer=fc}]"
  "similarity+kd|mlp|[$KD,{term=similarity,weight=3000,student-layer=hidden1,teacher-layer=fc}]"
  "rkd+kd|mlp|[$KD,{term=rkd,weight=1,distance=25,angle=50,student-layer=hidden1,teacher-layer=fc}]"
  "conv-alone|conv|baseline"
  "conv-kd|conv|[$KD]"
  "attention+kd|conv|[$KD,{term=attention,weight=500,student-layer=c2,teacher-layer=conv2}]"
)

committed() { [[ -f "$1/_SUCCESS" ]]; }
# The teacher's test accuracy in an evaluation's metrics.json.
teacher_accuracy() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["models"]["teacher"]["accuracy"])' "$1"; }
stamp() { date -u +%H:%M:%S; }

echo "== $(stamp) shared teacher and soft-target store (seed 1) ==" >&2
committed "$SHARED/teacher" || "$DISTILL" train-teacher "$CONF" "${COMMON[@]}" -P seed=1 --resume
committed "$SHARED/soft-targets" || "$DISTILL" soft-targets "$CONF" "${COMMON[@]}" -P seed=1

# All MLP students (every seed) before the convolutional ones: they are 3x cheaper, so an interrupted run has the
# larger table complete first.
mlp=() conv=()
for kind in mlp conv; do
  for seed in "${SEED_LIST[@]}"; do
    dir="$RUN_DIR/seed-$seed"
    kept="$RESULTS/seed-$seed/evaluation-$kind/metrics.json"
    if [[ -f "$kept" ]]; then
      echo "== $(stamp) seed $seed: $kind students kept in $kept ==" >&2
      if [[ "$kind" == mlp ]]; then mlp+=("$kept"); else conv+=("$kept"); fi
      continue
    fi
    models=(--model "teacher=$SHARED/teacher")
    for v in "${VARIANTS[@]}"; do
      IFS='|' read -r name student loss <<< "$v"
      [[ "$student" == "$kind" ]] || continue
      out="$dir/$name"
      args=("$CONF" "${COMMON[@]}" -P "seed=$seed" -P "teacher.path=\"$SHARED/teacher\""
            -P "soft-targets.path=\"$SHARED/soft-targets\"" -P "student.path=\"$out\"" -P "baseline.path=\"$out\"")
      [[ "$kind" == conv ]] && args+=(-P "student.model.layers=$CONV_STUDENT"
                                      -P "student.train.epochs=${CONV_STUDENT_EPOCHS:-${STUDENT_EPOCHS:-5}}")
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
    eval_dir="$dir/evaluation-$kind"
    if ! committed "$eval_dir"; then
      echo "== $(stamp) seed $seed: evaluate ($kind students) ==" >&2
      "$DISTILL" evaluate "$CONF" "${COMMON[@]}" -P "seed=$seed" -P "evaluate.path=\"$eval_dir\"" "${models[@]}"
    fi
    for other in "$RESULTS"/seed-*/evaluation-*/metrics.json; do
      [[ -f "$other" ]] || continue
      if [[ "$(teacher_accuracy "$other")" != "$(teacher_accuracy "$eval_dir/metrics.json")" ]]; then
        echo "error: the teacher of this run scores $(teacher_accuracy "$eval_dir/metrics.json") on the test set," \
             "the one of $other $(teacher_accuracy "$other"): not the same teacher; delete $RESULTS to start anew" >&2
        exit 1
      fi
    done
    mkdir -p "$(dirname "$kept")"
    cp "$eval_dir/metrics.json" "$kept"
    if [[ "$kind" == mlp ]]; then mlp+=("$kept"); else conv+=("$kept"); fi
  done
done

{
  echo "### MLP student 784-32-10: each objective against the same student trained alone (seeds ${SEED_LIST[*]})"
  echo
  "$DISTILL" summarize --reference alone "${mlp[@]}"
  echo
  echo "### MLP student 784-32-10: the same runs against KD, to see what each term adds to it (seeds ${SEED_LIST[*]})"
  echo
  "$DISTILL" summarize --reference kd "${mlp[@]}"
  echo
  echo "### Convolutional student: attention transfer against the same student alone and with KD (seeds ${SEED_LIST[*]})"
  echo
  "$DISTILL" summarize --reference conv-alone "${conv[@]}"
  echo
  echo "### Convolutional student: the same runs against KD (seeds ${SEED_LIST[*]})"
  echo
  "$DISTILL" summarize --reference conv-kd "${conv[@]}"
} | tee "$RUN_DIR/results.md"
