#!/usr/bin/env bash
# assemble-runtime.sh: build a Spark 3.5.3 (Scala 2.12) SPARK_HOME from Maven Central jars alone.
#
# Usage: deploy/standalone/assemble-runtime.sh [SPARK_HOME_DIR]
#   SPARK_HOME_DIR  where to assemble (default: deploy/standalone/runtime/spark-3.5.3, git-ignored)
# Env:
#   MVN       Maven command (default: mvn)
#   MVN_ARGS  extra Maven arguments, e.g. "-o" to stay offline with a warm ~/.m2
#   FORCE=1   re-assemble even if the marker says the runtime is up to date
#
# Produces SPARK_HOME/jars (copy-dependencies of spark-runtime.pom.xml), SPARK_HOME/conf/log4j2.properties (WARN)
# and SPARK_HOME/conf/spark-defaults.conf (nothing cluster-specific). Idempotent: a marker file records the
# SHA-256 of the POM; when it matches, nothing is done. Prints the SPARK_HOME path on stdout as its last line.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$script_dir/spark-runtime.pom.xml"
spark_home="${1:-$script_dir/runtime/spark-3.5.3}"
mvn_cmd="${MVN:-mvn}"
read -r -a mvn_extra <<< "${MVN_ARGS:-}"
marker_name=".distillery-runtime"

log() { printf '[assemble-runtime] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -f "$pom" ]] || die "missing $pom"
command -v "$mvn_cmd" >/dev/null || die "Maven ('$mvn_cmd') not found on PATH"
command -v sha256sum >/dev/null || die "sha256sum not found"

mkdir -p "$spark_home"
spark_home="$(cd "$spark_home" && pwd)"
marker="$spark_home/$marker_name"
pom_sum="$(sha256sum "$pom" | cut -d' ' -f1)"

if [[ "${FORCE:-0}" != 1 && -f "$marker" && "$(cat "$marker")" == "$pom_sum" && -d "$spark_home/jars" ]]; then
  log "already assembled at $spark_home (marker matches POM); FORCE=1 to redo"
  printf '%s\n' "$spark_home"
  exit 0
fi

# Never clobber a directory we did not create: only an empty dir or one carrying our marker is ours.
if [[ ! -f "$marker" ]] && [[ -n "$(ls -A "$spark_home")" ]]; then
  die "$spark_home is not empty and has no $marker_name marker; refusing to overwrite it"
fi

log "assembling Spark runtime into $spark_home"
start=$SECONDS
tmp_jars="$(mktemp -d "$spark_home/.jars.XXXXXX")"
trap 'rm -rf "$tmp_jars"' EXIT

"$mvn_cmd" -B -q -Dstyle.color=never "${mvn_extra[@]}" -f "$pom" \
  dependency:copy-dependencies -DoutputDirectory="$tmp_jars" >&2

# Sanity: exactly Scala 2.12.18, and the Spark jars we asked for.
for jar in scala-library-2.12.18.jar scala-reflect-2.12.18.jar \
           spark-core_2.12-3.5.3.jar spark-sql_2.12-3.5.3.jar spark-mllib_2.12-3.5.3.jar; do
  [[ -f "$tmp_jars/$jar" ]] || die "expected $jar in the assembled jars"
done
stray="$(find "$tmp_jars" -maxdepth 1 \( -name 'scala-library-*.jar' -o -name 'scala-reflect-*.jar' \) \
           ! -name '*-2.12.18.jar' -printf '%f\n')"
[[ -z "$stray" ]] || die "unexpected Scala jars: $stray"

rm -rf "$spark_home/jars"
mv "$tmp_jars" "$spark_home/jars"
chmod 755 "$spark_home/jars"
trap - EXIT

mkdir -p "$spark_home/conf"
cat > "$spark_home/conf/log4j2.properties" <<'LOG4J'
# Written by deploy/standalone/assemble-runtime.sh: WARN everywhere, to stderr.
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console

appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex

# Master/Worker lifecycle lines (registration, executor launch) stay visible: start-cluster.sh relies on them.
logger.master.name = org.apache.spark.deploy.master.Master
logger.master.level = info
logger.worker.name = org.apache.spark.deploy.worker.Worker
logger.worker.level = info
logger.masterui.name = org.apache.spark.deploy.master.ui.MasterWebUI
logger.masterui.level = info
LOG4J

cat > "$spark_home/conf/spark-defaults.conf" <<'DEFAULTS'
# Written by deploy/standalone/assemble-runtime.sh.
# Deliberately nothing cluster-specific here (no master URL, ports, memory or serializer):
# start-cluster.sh and spark-submit callers pass what they need explicitly.
spark.ui.showConsoleProgress    false
DEFAULTS

printf '%s\n' "$pom_sum" > "$marker"
log "done: $(find "$spark_home/jars" -maxdepth 1 -name '*.jar' | wc -l) jars, $(du -sh "$spark_home/jars" | cut -f1), $((SECONDS - start)) s"
printf '%s\n' "$spark_home"
