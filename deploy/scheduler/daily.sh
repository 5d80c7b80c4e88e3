#!/usr/bin/env bash
# daily.sh CONFIG RUN_DIR DATE [-P KEY=VALUE ...]: the daily Distillery job for the date partition DATE.
#
# Layout under RUN_DIR (the run-dir of every stage):
#   teacher/                   trained once, on the first day (when RUN_DIR has none yet)
#   soft-targets/              one store for all days: soft-targets.incremental = true adds the new dates only
#   daily/DATE/student/        the student retrained on the whole store that day
#   daily/DATE/evaluation/     its metrics.json, with the gate's verdict
#   published -> releases/...  a copy of the last day whose student passed the gate (see publish.sh)
#
# Steps: [train-teacher] -> soft-targets (incremental) -> distill -> evaluate with the gate -> publish.
# The gate is the config's evaluate.gate (thresholds keyed by model name); the previous run it compares with is the
# published one (RUN_DIR/published/evaluation): yesterday's when yesterday passed, else the last day that did, so a
# failed day is never the yardstick. On the first day there is none, and the drop thresholds pass (logged).
# A rerun of a date replaces that date's student and evaluation (--overwrite); stored dates of the store are never
# rewritten. Extra -P overrides are passed to every stage.
#
# Exit code: 0 published; 3 the gate failed (metrics.json written, nothing published); anything else: the failing
# stage's (2 bad config or input, 1 other failures).
# Env: DISTILL  the CLI command, split on spaces (default: deploy/bin/distill, Spark in-process); on a cluster e.g.
#               DISTILL="deploy/bin/distill-submit --master spark://host:7077 --executor-memory 6g --"
set -euo pipefail
if (($# < 3)); then
  echo "usage: $0 CONFIG RUN_DIR DATE [-P KEY=VALUE ...]" >&2
  exit 2
fi
config=$1
run_dir=$2
date=$3
shift 3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
read -r -a distill <<< "${DISTILL:-$here/../bin/distill}"
log() { printf '[daily %s] %s\n' "$date" "$*" >&2; }

day="$run_dir/daily/$date"
# HOCON strings: a path may hold characters (// or :) that end an unquoted value.
common=(-P "run-dir=\"$run_dir\"" -P "teacher.path=\"$run_dir/teacher\"" -P "soft-targets.path=\"$run_dir/soft-targets\""
        -P "student.path=\"$day/student\"" -P "evaluate.path=\"$day/evaluation\"" "$@")

if [[ ! -f "$run_dir/teacher/_SUCCESS" ]]; then
  log "no teacher in $run_dir yet: training it"
  "${distill[@]}" train-teacher "$config" "${common[@]}"
fi
log "soft-targets: adding the new date partitions to $run_dir/soft-targets"
"${distill[@]}" soft-targets "$config" "${common[@]}" -P soft-targets.incremental=true
log "distill: the student of $date"
"${distill[@]}" distill "$config" "${common[@]}" --overwrite
log "evaluate with the gate (previous: $run_dir/published/evaluation)"
rc=0
"${distill[@]}" evaluate "$config" "${common[@]}" --previous "$run_dir/published/evaluation" --overwrite || rc=$?
if ((rc == 3)); then
  log "the gate failed: not published (see $day/evaluation/metrics.json)"
  exit 3
elif ((rc != 0)); then
  exit "$rc"
fi
"$here/publish.sh" "$run_dir" "$date"
