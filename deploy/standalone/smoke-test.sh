#!/usr/bin/env bash
# smoke-test.sh: end-to-end check of the standalone deployment: assemble the runtime, start a Master and Workers,
# submit smoke/SmokeJob.java (compiled here against the runtime jars) in client mode, check that its tasks ran in
# separate executor JVMs, stop the cluster and check that no process of it is left.
#
# Usage: deploy/standalone/smoke-test.sh
# Env:
#   SPARK_HOME      runtime dir (default deploy/standalone/runtime/spark-3.5.3; assembled if missing)
#   STATE_DIR       cluster state for the test (default deploy/standalone/state/smoke-test)
#   WORKERS         Workers to start (default 2); WORKER_CORES (default 1), WORKER_MEMORY (default 2g)
#   MASTER_PORT, MASTER_WEBUI_PORT   default "auto" (first free from 7077 / 8080)
#   SUBMIT_TIMEOUT  seconds allowed for the job (default 300)
# The cluster is stopped on every exit path (trap). Exits 0 only if everything checked out.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=cluster-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster-common.sh"

log() { printf '[smoke-test] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

export WORKERS="${WORKERS:-2}" WORKER_CORES="${WORKER_CORES:-1}" WORKER_MEMORY="${WORKER_MEMORY:-2g}"
export MASTER_PORT="${MASTER_PORT:-auto}" MASTER_WEBUI_PORT="${MASTER_WEBUI_PORT:-auto}"
spark_home="${SPARK_HOME:-$DEFAULT_SPARK_HOME}"
state_dir="$(abs_dir "${STATE_DIR:-$DEFAULT_STATE_DIR/smoke-test}")"
export STATE_DIR="$state_dir"
submit_timeout="${SUBMIT_TIMEOUT:-300}"
partitions=4
java="$(java_cmd)"
for tool in javac jar timeout; do command -v "$tool" >/dev/null || die "$tool not found"; done

t_all=$SECONDS

# 1. Runtime.
t=$SECONDS
spark_home="$("$standalone_dir/assemble-runtime.sh" "$spark_home" | tail -n1)"
t_assemble=$((SECONDS - t))
export SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1

# 2. Smoke jar, built fresh into the state dir.
smoke_build="$state_dir/smoke-build"
rm -rf "$smoke_build"
mkdir -p "$smoke_build/classes"
javac -nowarn --release 17 -cp "$spark_home/jars/*" -d "$smoke_build/classes" "$standalone_dir/smoke/SmokeJob.java"
jar cf "$smoke_build/smoke-job.jar" -C "$smoke_build/classes" .

# 3. Cluster; stopped whatever happens from here on.
cluster_stopped=0
stop_cluster() {
  ((cluster_stopped)) && return 0
  cluster_stopped=1
  "$standalone_dir/stop-cluster.sh"
}
on_exit() {
  local rc=$?
  stop_cluster || rc=1
  exit "$rc"
}
trap on_exit EXIT

t=$SECONDS
master_url="$("$standalone_dir/start-cluster.sh" | tail -n1)"
t_start=$((SECONDS - t))
[[ "$master_url" == spark://127.0.0.1:* ]] || die "start-cluster.sh printed '$master_url', not a master URL"
mapfile -t daemon_pids < <(cat "$state_dir"/master.pid "$state_dir"/worker-*.pid)
log "cluster $master_url up in ${t_start}s; daemons: ${daemon_pids[*]}"

# 4. Submit in client mode: the driver is this java process, with the --add-opens flags; executors get the same.
t=$SECONDS
driver_log="$state_dir/smoke-driver.log"
total_cores=$((WORKERS * WORKER_CORES))
set +e
timeout "$submit_timeout" "$java" -cp "$spark_home/conf:$spark_home/jars/*" "${JAVA17_OPENS[@]}" \
  org.apache.spark.deploy.SparkSubmit \
  --master "$master_url" --deploy-mode client \
  --class io.distillery.deploy.smoke.SmokeJob \
  --conf spark.driver.host=127.0.0.1 \
  --conf "spark.executor.extraJavaOptions=$JAVA17_OPENS_STRING" \
  --conf spark.executor.memory=1g \
  --conf spark.cores.max="$total_cores" \
  --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
  --conf spark.scheduler.maxRegisteredResourcesWaitingTime=60s \
  --conf spark.serializer=org.apache.spark.serializer.KryoSerializer \
  "$smoke_build/smoke-job.jar" 100000 "$partitions" "$WORKERS" \
  >"$driver_log" 2>&1
submit_rc=$?
set -e
t_submit=$((SECONDS - t))
grep '^SMOKE' "$driver_log" >&2 || true
if ((submit_rc != 0)); then
  tail -n 40 "$driver_log" >&2
  die "spark-submit exited with $submit_rc (driver log: $driver_log)"
fi

# 5. Check the job's own verdict and cross-check the PIDs against the cluster's daemons.
grep -qx 'SMOKE OK' "$driver_log" || die "no 'SMOKE OK' in $driver_log"
grep -qx 'SMOKE count=100000 sum=4999950000 partitions=4' "$driver_log" || die "wrong count/sum in $driver_log"
driver_pid="$(sed -n 's/^SMOKE master=.* driver_pid=\([0-9]*\)$/\1/p' "$driver_log")"
IFS=, read -r -a exec_pids <<< "$(sed -n 's/^SMOKE executor_pids=//p' "$driver_log")"
((${#exec_pids[@]} >= WORKERS)) || die "tasks ran in ${#exec_pids[@]} JVM(s), expected $WORKERS"
for pid in "${exec_pids[@]}"; do
  [[ "$pid" != "$driver_pid" ]] || die "executor PID $pid is the driver"
  [[ " ${daemon_pids[*]} " != *" $pid "* ]] || die "executor PID $pid is a Master/Worker daemon"
done
# Each Worker launched an executor for the app (its work dir holds app-*/<id>/stderr).
for ((i = 1; i <= WORKERS; i++)); do
  compgen -G "$state_dir/worker-$i/work/app-*/*/stderr" >/dev/null || die "worker $i launched no executor"
done
log "job OK in ${t_submit}s: driver PID $driver_pid, executor PIDs ${exec_pids[*]}"

# 6. Stop, then make sure nothing of ours is left.
t=$SECONDS
stop_cluster
t_stop=$((SECONDS - t))
for pid in "${daemon_pids[@]}" "${exec_pids[@]}"; do
  ! is_alive "$pid" || die "process $pid survived stop-cluster.sh"
done
leftover="$(env_tagged_pids "$state_dir")"
[[ -z "$leftover" ]] || die "processes still tagged with $state_dir: $leftover"
! compgen -G "$state_dir/*.pid" >/dev/null || die "pid files left in $state_dir"

log "PASS in $((SECONDS - t_all))s (assemble ${t_assemble}s, start ${t_start}s, job ${t_submit}s, stop ${t_stop}s)"
