#!/usr/bin/env bash
# start-cluster.sh: start a local Spark standalone cluster (one Master, N Workers) as separate plain-java JVMs
# on 127.0.0.1, from the runtime built by assemble-runtime.sh, and wait until every Worker is registered.
#
# Usage: deploy/standalone/start-cluster.sh [--workers N] [--cores C] [--memory M] [--port P]
#                                            [--webui-port P] [--state-dir DIR] [--timeout S]
#                                            [--properties-file F]
# Env (flags win over env):
#   SPARK_HOME         Spark runtime (default: deploy/standalone/runtime/spark-3.5.3)
#   WORKERS            number of Workers (default 2)
#   WORKER_CORES       cores per Worker (default 1)
#   WORKER_MEMORY      memory per Worker for executors (default 2g)
#   MASTER_PORT        Master RPC port (default 7077; "auto" = first free port from 7077)
#   MASTER_WEBUI_PORT  Master web UI port (default 8080; "auto" = first free from 8080; 0 = ephemeral)
#   STATE_DIR          logs, pid files, worker dirs (default deploy/standalone/state); one cluster per STATE_DIR
#   START_TIMEOUT      seconds to wait for all Workers to register (default 90)
#   DAEMON_MEMORY      heap of the Master and Worker JVMs themselves (default 512m)
#   WORKER_CPUS        optional CPU pinning, one taskset(1) CPU list per Worker (e.g. "1" or "0 1"; reused in turn
#                      when there are more Workers). A Worker's executors inherit it. Without it a "1-core" Worker's
#                      executor JVM still runs on every core (JIT, GC, Parquet and native BLAS threads).
#   WORKER_APPDATA_TTL seconds after which spark.worker.cleanup deletes finished apps' work dirs (default 86400)
#   PROPERTIES_FILE    Spark properties file for the Master and the Workers (their --properties-file), e.g. with
#                      spark.authenticate=true, spark.authenticate.secret and spark.network.crypto.enabled=true;
#                      must be private (mode 600 or 400). Default: none, the daemons read SPARK_HOME/conf's
#                      spark-defaults.conf. Applications must then be submitted with the same secret.
#
# On success prints the master URL (spark://127.0.0.1:PORT) as the last stdout line and writes
# STATE_DIR/master-url and STATE_DIR/cluster.env. On failure or timeout prints the tail of the logs, stops
# everything it started (stop-cluster.sh) and exits non-zero. Two clusters coexist with distinct STATE_DIRs and
# ports (or MASTER_PORT=auto MASTER_WEBUI_PORT=auto).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=cluster-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/cluster-common.sh"

log() { printf '[start-cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }

workers="${WORKERS:-2}"
cores="${WORKER_CORES:-1}"
memory="${WORKER_MEMORY:-2g}"
master_port="${MASTER_PORT:-7077}"
webui_port="${MASTER_WEBUI_PORT:-8080}"
state_dir="${STATE_DIR:-$DEFAULT_STATE_DIR}"
timeout="${START_TIMEOUT:-90}"
daemon_memory="${DAEMON_MEMORY:-512m}"
appdata_ttl="${WORKER_APPDATA_TTL:-86400}"
properties_file="${PROPERTIES_FILE:-}"
read -r -a worker_cpus <<<"${WORKER_CPUS:-}"
if [[ ${#worker_cpus[@]} -gt 0 ]] && ! command -v taskset >/dev/null; then
  echo "[start-cluster] ERROR: WORKER_CPUS is set but taskset (util-linux) is not installed" >&2; exit 1
fi
spark_home="${SPARK_HOME:-$DEFAULT_SPARK_HOME}"
host=127.0.0.1

while (($#)); do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --port) master_port=$2; shift 2 ;;
    --webui-port) webui_port=$2; shift 2 ;;
    --state-dir) state_dir=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --properties-file) properties_file=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done

[[ "$workers" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer, got '$workers'"
[[ "$cores" =~ ^[1-9][0-9]*$ ]] || die "WORKER_CORES must be a positive integer, got '$cores'"
[[ "$memory" =~ ^[1-9][0-9]*[mMgG]$ ]] || die "WORKER_MEMORY must look like 512m or 2g, got '$memory'"
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || die "START_TIMEOUT must be a positive integer, got '$timeout'"
if ! compgen -G "$spark_home/jars/spark-core_2.12-*.jar" >/dev/null; then
  die "no Spark runtime at $spark_home (run deploy/standalone/assemble-runtime.sh first)"
fi
spark_home="$(cd "$spark_home" && pwd)"
java="$(java_cmd)"
daemon_props=()
if [[ -n "$properties_file" ]]; then
  private_file "$properties_file" "PROPERTIES_FILE" || die "refusing to start with a readable properties file"
  properties_file="$(cd "$(dirname "$properties_file")" && pwd)/$(basename "$properties_file")"
  # On the daemons' own command lines only the path shows in ps, never the secret inside.
  daemon_props=(--properties-file "$properties_file")
fi
state_dir="$(abs_dir "$state_dir")"

case "$master_port" in
  auto) master_port="$(free_port 7077)" ;;
  *) [[ "$master_port" =~ ^[1-9][0-9]*$ ]] || die "MASTER_PORT must be a port number or 'auto'"
     ! port_in_use "$master_port" || die "port $master_port is in use (set MASTER_PORT or MASTER_PORT=auto)" ;;
esac
case "$webui_port" in
  auto) webui_port="$(free_port 8080)" ;;
  0) ;;
  *) [[ "$webui_port" =~ ^[1-9][0-9]*$ ]] || die "MASTER_WEBUI_PORT must be a port number, 0 or 'auto'"
     ! port_in_use "$webui_port" || die "port $webui_port is in use (set MASTER_WEBUI_PORT, 0 or auto)" ;;
esac
[[ "$webui_port" != "$master_port" ]] || die "MASTER_PORT and MASTER_WEBUI_PORT are both $master_port"

# One cluster per state dir: refuse if one is running, clear stale pid files otherwise.
for pidfile in "$state_dir"/*.pid; do
  [[ -e "$pidfile" ]] || continue
  if is_tagged "$(cat "$pidfile")" "$state_dir"; then
    die "a cluster is already running with STATE_DIR=$state_dir (see $pidfile); run stop-cluster.sh first"
  fi
  rm -f "$pidfile"
done
rm -f "$state_dir/master-url" "$state_dir/cluster.env"

export SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP="$host" SPARK_CONF_DIR="$spark_home/conf"
classpath="$spark_home/conf:$spark_home/jars/*"
jvm_common=(
  -cp "$classpath" "-Xmx$daemon_memory" "${JAVA17_OPENS[@]}"
  "$STATE_PROP_TAG=$state_dir"
  -Dspark.port.maxRetries=0   # never silently drift to another port (and into another cluster)
)

ok=0
on_exit() {
  local rc=$?
  ((ok)) && return
  log "startup failed; last lines of the logs under $state_dir:"
  local f
  for f in "$state_dir"/master.log "$state_dir"/worker-*.log; do
    [[ -f "$f" ]] || continue
    printf '\n==> %s <==\n' "$f" >&2
    tail -n 30 "$f" >&2
  done
  log "stopping what was started"
  STATE_DIR="$state_dir" "$standalone_dir/stop-cluster.sh" >&2 || true
  ((rc)) || rc=1
  exit "$rc"
}
trap on_exit EXIT

t0=$SECONDS
# stdin from /dev/null and setsid: the daemons survive this shell and never see its terminal's signals.
log "starting Master on $host:$master_port (web UI port $webui_port), state in $state_dir"
setsid "$java" "${jvm_common[@]}" org.apache.spark.deploy.master.Master \
  --host "$host" --port "$master_port" --webui-port "$webui_port" "${daemon_props[@]}" \
  </dev/null >"$state_dir/master.log" 2>&1 &
echo $! > "$state_dir/master.pid"
master_pid=$!

# Wait for leadership before starting Workers, so their first registration attempt succeeds.
deadline=$((SECONDS + timeout))
until grep -q "I have been elected leader" "$state_dir/master.log" 2>/dev/null; do
  is_alive "$master_pid" || die "Master exited during startup"
  ((SECONDS < deadline)) || die "Master not up after ${timeout}s"
  sleep 0.5
done
# The UI advertises a hostname ("localhost"); poll it on the loopback address it is actually bound to.
webui_port="$(sed -n 's|.*Bound MasterWebUI to .*, and started at http://[^ ]*:\([0-9][0-9]*\).*|\1|p' \
  "$state_dir/master.log" | head -n1)"
webui_url="${webui_port:+http://$host:$webui_port}"
master_url="spark://$host:$master_port"

for ((i = 1; i <= workers; i++)); do
  wdir="$state_dir/worker-$i"
  mkdir -p "$wdir/work" "$wdir/local"
  pin=()
  if [[ ${#worker_cpus[@]} -gt 0 ]]; then
    pin=(taskset -c "${worker_cpus[$(((i - 1) % ${#worker_cpus[@]}))]}")
  fi
  log "starting Worker $i ($cores cores, $memory${pin[*]:+, pinned: ${pin[*]}})"
  # The tag variable is inherited by the executors this Worker forks; SPARK_LOCAL_DIRS keeps shuffle/spill
  # files under the state dir too.
  env "$STATE_ENV_TAG=$state_dir" SPARK_LOCAL_DIRS="$wdir/local" \
    setsid "${pin[@]}" "$java" "${jvm_common[@]}" \
    -Dspark.worker.cleanup.enabled=true -Dspark.worker.cleanup.appDataTtl="$appdata_ttl" \
    org.apache.spark.deploy.worker.Worker "$master_url" \
    --host "$host" --port 0 --webui-port 0 --cores "$cores" --memory "$memory" --work-dir "$wdir/work" \
    "${daemon_props[@]}" </dev/null >"$state_dir/worker-$i.log" 2>&1 &
  echo $! > "$state_dir/worker-$i.pid"
done

# Registered = the Master's JSON says so (or, without curl/UI URL, its log does).
registered() {
  local json
  if [[ -n "$webui_url" ]] && command -v curl >/dev/null; then
    json="$(curl -fsS --max-time 2 "$webui_url/json/" 2>/dev/null)" || { echo 0; return; }
    grep -o '"aliveworkers" *: *[0-9]*' <<<"$json" | grep -o '[0-9]*$' || echo 0
  else
    grep -c "Registering worker" "$state_dir/master.log" || true
  fi
}
while :; do
  n="$(registered)"
  ((n >= workers)) && break
  is_alive "$master_pid" || die "Master exited during startup"
  for ((i = 1; i <= workers; i++)); do
    is_alive "$(cat "$state_dir/worker-$i.pid")" || die "Worker $i exited during startup"
  done
  ((SECONDS < deadline)) || die "only $n of $workers Workers registered after ${timeout}s"
  sleep 1
done

printf '%s\n' "$master_url" > "$state_dir/master-url"
cat > "$state_dir/cluster.env" <<ENV
MASTER_URL=$master_url
MASTER_WEBUI_URL=$webui_url
SPARK_HOME=$spark_home
STATE_DIR=$state_dir
WORKERS=$workers
WORKER_CORES=$cores
WORKER_MEMORY=$memory
PROPERTIES_FILE=$properties_file
ENV
ok=1
log "cluster up in $((SECONDS - t0)) s: $workers workers x $cores cores; web UI $webui_url"
printf '%s\n' "$master_url"
