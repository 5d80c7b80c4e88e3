#!/usr/bin/env bash
# bench-cluster.sh: the same Distillery work on local[2] and on a real standalone cluster, side by side in one run.
#
# Usage: deploy/standalone/bench-cluster.sh [--repeats N] [--part run|scale|all] [--out DIR]
#                                           [--scale-epochs E] [-P KEY=VALUE ...]
#   run    `run CONF` (every stage, fresh run-dir each time) on local[2] and on 1 Master + 2 Workers x 1 core,
#          alternating; prints each stage's median wall time (the CLI's "run: <stage> done in X s") and the ratio.
#   scale  `soft-targets` and `distill` on a cluster of 1 Worker, then of 2 Workers (1 core each), both with
#          student.train.workers = 2 so the work is identical; prints median in-job times and the scaling ratio
#          (1 Worker / 2 Workers), and the application wall times (JVM start, jar shipping) beside them. Workers
#          are pinned (WORKER_CPUS): 1 Worker to CPU 1; 2 Workers to CPUs 1 and 0; the driver to CPU 0 in both
#          cases. Unpinned, a 1-core Worker's executor used up to 1.8 of the 2 cores, so the 1-Worker run was not a
#          1-core run. Needs at least 2 CPUs and taskset(1).
#   -P     passed to every run (e.g. the full data set: -P 'data.train="data/fashion-mnist/train"').
#   Env: CONF (default conf/fashion-mnist-offline.conf). Needs the shaded jar (mvn -B -ntp package -DskipTests).
# Executors get spark.executorEnv.OMP_NUM_THREADS=1 (their one core); local[2] runs as `deploy/bin/distill` does.
# Medians of --repeats (default 3) runs. Writes DIR/report.md (default target/bench-cluster/report.md).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
conf="${CONF:-conf/fashion-mnist-offline.conf}"
repeats=3 part=all out="target/bench-cluster" scale_epochs=5
overrides=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) repeats="$2"; shift 2 ;;
    --part) part="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --scale-epochs) scale_epochs="$2"; shift 2 ;;
    -P) overrides+=(-P "$2"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-cluster: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$part" in run|scale|all) ;; *) echo "bench-cluster: --part is '$part'; use run, scale or all" >&2; exit 2 ;; esac
compgen -G "jobs/target/distillery-jobs-*.jar" >/dev/null \
  || { echo "bench-cluster: no shaded jar; build it with: mvn -B -ntp package -DskipTests" >&2; exit 2; }
out="$(mkdir -p "$out" && cd "$out" && pwd)"
logs="$out/logs"; mkdir -p "$logs"
state="$out/cluster-state"
report="$out/report.md"
executor_conf=(--conf spark.executorEnv.OMP_NUM_THREADS=1 --conf spark.ui.enabled=false --executor-memory 1g)

stop_cluster() { [[ -d "$state" ]] && STATE_DIR="$state" "$here/stop-cluster.sh" >/dev/null 2>&1 || true; }
trap stop_cluster EXIT

# start_cluster WORKERS [CPU LISTS] -> sets $master
start_cluster() {
  stop_cluster
  rm -rf "$state"
  master="$(STATE_DIR="$state" WORKERS="$1" WORKER_CPUS="${2:-}" WORKER_CORES=1 WORKER_MEMORY=2g MASTER_PORT=auto MASTER_WEBUI_PORT=auto \
    "$here/start-cluster.sh" | tail -n 1)"
  echo "bench-cluster: cluster of $1 worker(s) at $master" >&2
}

# submit LOG MASTER ARGS...: distill-submit (under $driver_pin if set), output to LOG; prints the wall seconds
submit() {
  local log="$1" m="$2"; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  local extra=()
  [[ "$m" == spark://* ]] && extra=("${executor_conf[@]}")
  if ! ${driver_pin:-} deploy/bin/distill-submit --master "$m" "${extra[@]}" -- "$@" >"$log" 2>&1; then
    echo "bench-cluster: failed ($m): $* -- see $log" >&2; tail -n 20 "$log" >&2; exit 1
  fi
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}

# first number after PATTERN in LOG (sed -E regex with one group)
seconds_in() { sed -nE "s/.*$2.*/\1/p" "$1" | head -n 1; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

stages=("train-teacher" "soft-targets" "distill" "distill --baseline" "evaluate")
declare -A times
{
  echo "# Cluster benchmark ($(date -u +%FT%TZ))"
  echo
  echo "\`deploy/standalone/bench-cluster.sh --repeats $repeats --part $part ${overrides[*]}\`, config \`$conf\`;"
  echo "$(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg). Medians of $repeats runs, seconds."
} >"$report"

if [[ "$part" == run || "$part" == all ]]; then
  start_cluster 2
  for r in $(seq 1 "$repeats"); do
    for where in local cluster; do   # alternate, so slow phases of a noisy machine hit both
      m="local[2]"; [[ "$where" == cluster ]] && m="$master"
      log="$logs/run-$where-$r.log"
      wall=$(submit "$log" "$m" run "$conf" -P "run-dir=\"$out/run-$where-$r\"" "${overrides[@]}")
      times["$where/app"]+="$wall "
      for s in "${stages[@]}"; do
        times["$where/$s"]+="$(seconds_in "$log" "run: $s done in ([0-9.]+) s") "
      done
      echo "bench-cluster: run on $where #$r: ${wall} s" >&2
    done
  done
  {
    echo
    echo "## \`run\` on local[2] against the 2-Worker cluster"
    echo
    echo "| stage | local[2] | cluster (2 x 1 core) | cluster / local |"
    echo "|---|---|---|---|"
    for s in "${stages[@]}" app; do
      l=$(echo "${times[local/$s]}" | median); c=$(echo "${times[cluster/$s]}" | median)
      label="$s"; [[ "$s" == app ]] && label="whole application (wall, JVM start included)"
      echo "| $label | $l | $c | $(ratio "$c" "$l") |"
    done
  } >>"$report"
fi

if [[ "$part" == scale || "$part" == all ]]; then
  teacher_dir="$out/scale-teacher"
  driver_pin="taskset -c 0"
  for w in 1 2; do
    if [[ "$w" == 1 ]]; then start_cluster 1 "1"; else start_cluster 2 "1 0"; fi
    if [[ ! -f "$teacher_dir/_SUCCESS" ]]; then
      submit "$logs/scale-teacher.log" "$master" train-teacher "$conf" -P "teacher.path=\"$teacher_dir\"" \
        "${overrides[@]}" >/dev/null
    fi
    for r in $(seq 1 "$repeats"); do
      dir="$out/scale-$w-$r"
      common=(-P "run-dir=\"$dir\"" -P "teacher.path=\"$teacher_dir\"" -P student.train.workers=2
        -P "student.train.epochs=$scale_epochs" "${overrides[@]}")
      wall=$(submit "$logs/scale-$w-$r-soft-targets.log" "$master" soft-targets "$conf" "${common[@]}")
      times["$w/soft-targets/app"]+="$wall "
      times["$w/soft-targets"]+="$(seconds_in "$logs/scale-$w-$r-soft-targets.log" \
        "soft-targets: store written to .* in ([0-9.]+) s") "
      wall=$(submit "$logs/scale-$w-$r-distill.log" "$master" distill "$conf" "${common[@]}")
      times["$w/distill/app"]+="$wall "
      times["$w/distill"]+="$(seconds_in "$logs/scale-$w-$r-distill.log" "student: trained and saved to .* in ([0-9.]+) s") "
      echo "bench-cluster: $w worker(s) #$r done" >&2
    done
  done
  stop_cluster
  driver_pin=""
  {
    echo
    echo "## 1 Worker against 2 Workers (1 core each, pinned), student.train.workers = 2, $scale_epochs student epochs"
    echo
    echo "| stage | 1 Worker | 2 Workers | scaling (1 / 2) | goal |"
    echo "|---|---|---|---|---|"
    for s in soft-targets distill; do
      one=$(echo "${times[1/$s]}" | median); two=$(echo "${times[2/$s]}" | median)
      echo "| $s (in job) | $one | $two | $(ratio "$one" "$two") | 1.6 |"
      one=$(echo "${times[1/$s/app]}" | median); two=$(echo "${times[2/$s/app]}" | median)
      echo "| $s (whole application) | $one | $two | $(ratio "$one" "$two") | |"
    done
  } >>"$report"
fi
echo >>"$report"
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$report"
cat "$report"
