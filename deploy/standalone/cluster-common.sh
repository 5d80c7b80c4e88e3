# cluster-common.sh: shared settings and helpers for start-cluster.sh / stop-cluster.sh / smoke-test.sh.
# Sourced, not executed. Defines the Java 17 --add-opens flags, the default SPARK_HOME and STATE_DIR, and
# process helpers that only ever match JVMs tagged with this cluster's state directory.
# shellcheck shell=bash

standalone_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Java 17 module openings Spark needs (driver, Master, Worker; executors get them via extraJavaOptions).
JAVA17_OPENS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
)
export JAVA17_OPENS_STRING="${JAVA17_OPENS[*]}"

# shellcheck disable=SC2034  # used by the scripts that source this file
DEFAULT_SPARK_HOME="$standalone_dir/runtime/spark-3.5.3"
# shellcheck disable=SC2034
DEFAULT_STATE_DIR="$standalone_dir/state"

# Environment variable that workers (and, by inheritance, their executors) carry: how stop-cluster.sh recognises
# executor JVMs of this cluster even if their worker already died.
STATE_ENV_TAG="DISTILLERY_STANDALONE_STATE_DIR"
# System property on the Master/Worker command lines: guards against PID reuse.
STATE_PROP_TAG="-Ddistillery.standalone.stateDir"

java_cmd() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  else
    command -v java || { echo "java not found (set JAVA_HOME or PATH)" >&2; return 1; }
  fi
}

# abs_dir DIR: create DIR if needed and print its absolute path.
abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# is_alive PID
is_alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# is_tagged PID STATE_DIR: true if PID is a live JVM started by start-cluster.sh for STATE_DIR.
is_tagged() {
  local pid=$1 state=$2
  is_alive "$pid" || return 1
  { tr '\0' '\n' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qxF -- "$STATE_PROP_TAG=$state"
}

# descendants PID...: all descendant PIDs (children, grandchildren...) of the given PIDs.
descendants() {
  local queue=("$@") pid child
  while ((${#queue[@]})); do
    pid=${queue[0]}
    queue=("${queue[@]:1}")
    while read -r child; do
      [[ -n "$child" ]] || continue
      printf '%s\n' "$child"
      queue+=("$child")
    done < <(pgrep -P "$pid" || true)
  done
}

# env_tagged_pids STATE_DIR: PIDs whose environment carries STATE_ENV_TAG=STATE_DIR (workers' executors).
env_tagged_pids() {
  local state=$1 environ pid
  for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}
    pid=${pid%/environ}
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    # Unreadable (another user's) or vanished processes are simply not ours.
    if { tr '\0' '\n' < "$environ"; } 2>/dev/null | grep -qxF -- "$STATE_ENV_TAG=$state"; then
      printf '%s\n' "$pid"
    fi
  done
}

# private_file FILE WHAT: FILE must be a readable regular file that neither group nor others can read or write
# (mode 600 or 400), since it may hold spark.authenticate.secret. Prints why not on stderr and fails otherwise.
private_file() {
  local file=$1 what=$2 mode
  [[ -f "$file" && -r "$file" ]] || { echo "$what not found or not readable: $file" >&2; return 1; }
  mode="$(stat -c %a "$file")" || return 1
  if (((8#$mode & 8#077) != 0)); then
    echo "$what $file has mode $mode: it may hold spark.authenticate.secret, make it private (chmod 600)" >&2
    return 1
  fi
}

# port_in_use PORT: true if something listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port START: first port >= START with nothing listening on 127.0.0.1.
free_port() {
  local p=$1
  while port_in_use "$p"; do
    p=$((p + 1))
    ((p < 65535)) || return 1
  done
  printf '%s\n' "$p"
}
