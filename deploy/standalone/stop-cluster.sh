#!/usr/bin/env bash
# stop-cluster.sh: stop the standalone cluster that start-cluster.sh recorded in STATE_DIR, and nothing else.
#
# Usage: deploy/standalone/stop-cluster.sh [--state-dir DIR]
# Env:
#   STATE_DIR     the cluster's state dir (default deploy/standalone/state)
#   STOP_TIMEOUT  seconds to wait after SIGTERM before SIGKILL (default 15)
#
# Targets: the Master and Worker PIDs in STATE_DIR/*.pid (only if their command line still carries this state
# dir's tag, so a recycled PID is never signalled), every descendant of those Workers (the executor JVMs they
# forked), and any process whose environment carries this state dir's tag (executors orphaned by a dead Worker).
# Workers and executors go first, then the Master: SIGTERM, wait, SIGKILL. Removes the pid files. Idempotent:
# with nothing running it just cleans up and exits 0. Exits non-zero only if something survived SIGKILL.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=cluster-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster-common.sh"

log() { printf '[stop-cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

state_dir="${STATE_DIR:-$DEFAULT_STATE_DIR}"
stop_timeout="${STOP_TIMEOUT:-15}"
while (($#)); do
  case "$1" in
    --state-dir) state_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$stop_timeout" =~ ^[0-9]+$ ]] || die "STOP_TIMEOUT must be a non-negative integer"
if [[ ! -d "$state_dir" ]]; then
  log "no state dir $state_dir: nothing to stop"
  exit 0
fi
state_dir="$(cd "$state_dir" && pwd)"

# recorded PIDFILE: the PID in PIDFILE if it is still our JVM; a stale file is just removed.
recorded() {
  local pid
  pid="$(cat "$1" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && is_tagged "$pid" "$state_dir"; then
    printf '%s\n' "$pid"
  else
    [[ -z "$pid" ]] || log "$(basename "$1"): PID $pid is not running (or not ours); dropping the stale file"
    rm -f "$1"
  fi
}

# terminate LABEL PID...: SIGTERM, wait up to stop_timeout, SIGKILL what is left.
terminate() {
  local label=$1 pid alive=() deadline
  shift
  (($#)) || return 0
  log "SIGTERM $label: $*"
  kill -TERM "$@" 2>/dev/null || true
  deadline=$((SECONDS + stop_timeout))
  while :; do
    alive=()
    for pid in "$@"; do is_alive "$pid" && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    ((SECONDS < deadline)) || break
    sleep 0.5
  done
  log "SIGKILL $label still alive after ${stop_timeout}s: ${alive[*]}"
  kill -KILL "${alive[@]}" 2>/dev/null || true
  sleep 0.5
}

master=""
workers=()
if [[ -f "$state_dir/master.pid" ]]; then master="$(recorded "$state_dir/master.pid")"; fi
for f in "$state_dir"/worker-*.pid; do
  [[ -e "$f" ]] || continue
  pid="$(recorded "$f")"
  [[ -z "$pid" ]] || workers+=("$pid")
done

# Executors: the Workers' process trees, plus tagged orphans. Collected before anything is signalled.
mapfile -t executors < <(
  { ((${#workers[@]} == 0)) || descendants "${workers[@]}"; env_tagged_pids "$state_dir"; } | sort -un
)
# The Workers themselves carry the env tag too: keep them out of the executor list.
others=()
for pid in "${executors[@]}"; do
  [[ " ${workers[*]} " == *" $pid "* || "$pid" == "$master" ]] || others+=("$pid")
done

if [[ -z "$master" && ${#workers[@]} -eq 0 && ${#others[@]} -eq 0 ]]; then
  log "nothing running for $state_dir"
else
  terminate "workers + executors" "${workers[@]}" "${others[@]}"
  if [[ -n "$master" ]]; then terminate "master" "$master"; fi
fi

rm -f "$state_dir"/master.pid "$state_dir"/worker-*.pid "$state_dir/master-url" "$state_dir/cluster.env"

# Verify: nothing of ours survives.
left=()
for pid in ${master:+"$master"} "${workers[@]}" "${others[@]}"; do is_alive "$pid" && left+=("$pid"); done
mapfile -t -O "${#left[@]}" left < <(env_tagged_pids "$state_dir")
if ((${#left[@]})); then
  die "still alive: ${left[*]}"
fi
log "stopped (state dir $state_dir)"
