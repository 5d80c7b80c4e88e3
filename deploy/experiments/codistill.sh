#!/usr/bin/env bash
# The co-distillation table (deploy/experiments/README.md) on the full Fashion-MNIST, end to end. For each seed, four
# procedures train two 784-128-10 models with the same budget (conf/fashion-mnist-codistill-full.conf):
#   independent  the two models trained side by side without the peer term (codistill.peer-weight = 0)
#   codistill    co-distillation: burn-in 3 epochs, exchange every 10 rounds, KL at T = 1, weight 1
#   mutual       deep mutual learning: exchange every round, no burn-in
#   shards       co-distillation with each model on its own half of the partitions (codistill.data = shards)
# Then one evaluate per procedure over its 6 models (2 per seed) gives accuracy and the pairwise disagreement,
# and the summary prints, per procedure: accuracy mean +/- std over the 6 models, retrain churn (disagreement of
# model a of seed s with model a of seed s', and the same for b: 6 pairs) and the disagreement of a and b within
# a run.
# Needs data/fashion-mnist/{train,test}: run data-samples/fetch-fashion-mnist.sh first.
# usage: deploy/experiments/codistill.sh [SEED...]      (default seeds: 1 2 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SEEDS=("$@")
[[ ${#SEEDS[@]} -gt 0 ]] || SEEDS=(1 2 3)
DISTILL=deploy/bin/distill
CONF=conf/fashion-mnist-codistill-full.conf
OUT=target/runs/fashion-mnist-codistill-full
declare -A SETTINGS=(
  [independent]="-P codistill.peer-weight=0"
  [codistill]=""
  [mutual]="-P codistill.exchange-period=1 -P codistill.burn-in=0"
  [shards]="-P codistill.data=shards"
)
PROCEDURES=(independent codistill mutual shards)

for seed in "${SEEDS[@]}"; do
  for p in "${PROCEDURES[@]}"; do
    dir="$OUT/seed-$seed/$p"
    if [[ -f "$dir/_SUCCESS" ]]; then continue; fi
    echo "== seed $seed: $p ==" >&2
    # shellcheck disable=SC2086
    "$DISTILL" codistill "$CONF" -P seed="$seed" -P codistill.path="$dir" ${SETTINGS[$p]} --resume
  done
done

for p in "${PROCEDURES[@]}"; do
  eval_dir="$OUT/evaluation-$p"
  if [[ ! -f "$eval_dir/_SUCCESS" ]]; then
    models=()
    for seed in "${SEEDS[@]}"; do
      models+=(--model "a$seed=$OUT/seed-$seed/$p/a" --model "b$seed=$OUT/seed-$seed/$p/b")
    done
    "$DISTILL" evaluate "$CONF" -P evaluate.path="$eval_dir" --reference none "${models[@]}"
  fi
done

/usr/bin/python3 - "$OUT" "${PROCEDURES[@]}" <<'PY'
import itertools, json, statistics, sys
out, procedures = sys.argv[1], sys.argv[2:]
def ms(xs):
    return "%.2f ± %.2f" % (100 * statistics.mean(xs), 100 * (statistics.stdev(xs) if len(xs) > 1 else 0.0))
print("| procedure | accuracy (%), 6 models | retrain churn (%), a vs a', b vs b' | a vs b in one run (%) |")
print("|---|---|---|---|")
for p in procedures:
    doc = json.load(open(f"{out}/evaluation-{p}/metrics.json"))
    acc = [m["accuracy"] for m in doc["models"].values()]
    d = doc["disagreement"]
    def dis(x, y):
        return d.get(f"{x}|{y}", d.get(f"{y}|{x}"))
    seeds = sorted({k[1:] for k in doc["models"]})
    churn = [dis(f"{m}{s}", f"{m}{t}") for m in "ab" for s, t in itertools.combinations(seeds, 2)]
    within = [dis(f"a{s}", f"b{s}") for s in seeds]
    print(f"| {p} | {ms(acc)} | {ms(churn)} | {ms(within)} |")
PY
