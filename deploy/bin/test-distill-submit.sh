#!/usr/bin/env bash
# test-distill-submit.sh: self-checking test of deploy/bin/distill-submit that needs no Distillery jar.
#
# Usage: deploy/bin/test-distill-submit.sh
# Env:
#   SPARK_HOME      runtime (default deploy/standalone/runtime/spark-3.5.3; assembled if missing)
#   SKIP_CLUSTER=1  skip the standalone-cluster part (the rest takes ~1 min)
#
# 1. A stand-in io.distillery.cli.DistillCli (compiled here) proves: the default main class, jar discovery from
#    jobs/target (in a scratch copy of deploy/), DISTILLERY_JAR, arguments with spaces passed unchanged, the
#    --add-opens flags on the driver JVM, Kryo and extraJavaOptions reaching SparkConf, and the exit code.
# 2. USE_SPARK_SUBMIT=1 with a stand-in spark-submit; dry runs for yarn and k8s:// masters; usage errors (exit 2).
# 3. smoke/SmokeJob.java via --class on local[2] (passing, and failing with exit code 1).
# 4. The same SmokeJob on a fresh standalone cluster (start-cluster.sh / stop-cluster.sh), tasks in 2 executors.
set -euo pipefail

bin_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../standalone/cluster-common.sh
source "$bin_dir/../standalone/cluster-common.sh"
submit="$bin_dir/distill-submit"

log() { printf '[test-distill-submit] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
passed=0
ok() { passed=$((passed + 1)); log "ok: $*"; }

for tool in javac jar timeout; do command -v "$tool" >/dev/null || die "$tool not found"; done
spark_home="$("$standalone_dir/assemble-runtime.sh" "${SPARK_HOME:-$DEFAULT_SPARK_HOME}" | tail -n1)"
export SPARK_HOME="$spark_home"
unset DISTILLERY_JAR DISTILLERY_MASTER USE_SPARK_SUBMIT

work="$(mktemp -d "${TMPDIR:-/tmp}/distill-submit-test.XXXXXX")"
cluster_state=""
cleanup() {
  local rc=$?
  if [[ -n "$cluster_state" ]]; then STATE_DIR="$cluster_state" "$standalone_dir/stop-cluster.sh" >&2 || rc=1; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# --- Stand-in CLI and smoke jar --------------------------------------------------------------------------------
mkdir -p "$work/src/io/distillery/cli" "$work/classes" "$work/smoke-classes"
cat > "$work/src/io/distillery/cli/DistillCli.java" <<'JAVA'
package io.distillery.cli;

import java.lang.management.ManagementFactory;
import org.apache.spark.SparkConf;

/** Stand-in for the real CLI: reports what it was given; "exit=N" as the last argument sets the exit code. */
public final class DistillCli {
  public static void main(String[] args) {
    for (int i = 0; i < args.length; i++) System.out.println("FAKE arg[" + i + "]=<" + args[i] + ">");
    SparkConf conf = new SparkConf();
    for (String k : new String[] {"spark.master", "spark.serializer", "spark.kryo.registrator",
        "spark.driver.host", "spark.executor.memory", "spark.app.name"}) {
      System.out.println("FAKE " + k + "=" + conf.get(k, "<unset>"));
    }
    String exec = conf.get("spark.executor.extraJavaOptions", "");
    System.out.println("FAKE executor_opens=" + exec.split("--add-opens=", -1).length);
    System.out.println("FAKE executor_extra_g1=" + exec.contains("-XX:+UseG1GC"));
    long driverOpens = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens=")).count();
    System.out.println("FAKE driver_opens=" + driverOpens);
    System.out.println("FAKE driver_max_heap_mb=" + Runtime.getRuntime().maxMemory() / (1024 * 1024));
    String last = args.length > 0 ? args[args.length - 1] : "";
    System.exit(last.startsWith("exit=") ? Integer.parseInt(last.substring(5)) : 0);
  }
}
JAVA
javac -nowarn --release 17 -cp "$spark_home/jars/*" -d "$work/classes" "$work/src/io/distillery/cli/DistillCli.java"
# No-op stand-in for ND4J's Kryo registrator (the real one ships in the Distillery jar): distill-submit always sets
# spark.kryo.registrator, so the smoke jar must carry it; driver and executors load it.
mkdir -p "$work/src/org/nd4j/kryo"
cat > "$work/src/org/nd4j/kryo/Nd4jRegistrator.java" <<'JAVA'
package org.nd4j.kryo;

public class Nd4jRegistrator implements org.apache.spark.serializer.KryoRegistrator {
  @Override
  public void registerClasses(com.esotericsoftware.kryo.Kryo kryo) {}
}
JAVA
javac -nowarn --release 17 -cp "$spark_home/jars/*" -d "$work/smoke-classes" "$standalone_dir/smoke/SmokeJob.java" \
  "$work/src/org/nd4j/kryo/Nd4jRegistrator.java"
jar cf "$work/smoke-job.jar" -C "$work/smoke-classes" .

# Scratch repo layout: deploy/bin + deploy/standalone/cluster-common.sh + jobs/target/<jar>, so jar discovery runs.
scratch="$work/repo"
mkdir -p "$scratch/deploy/bin" "$scratch/deploy/standalone" "$scratch/jobs/target"
cp "$submit" "$scratch/deploy/bin/"
cp "$standalone_dir/cluster-common.sh" "$standalone_dir/spark-runtime.pom.xml" "$scratch/deploy/standalone/"
jar cf "$scratch/jobs/target/distillery-jobs-0.1.0-SNAPSHOT.jar" -C "$work/classes" .
cp "$scratch/jobs/target/distillery-jobs-0.1.0-SNAPSHOT.jar" "$scratch/jobs/target/original-distillery-jobs-0.1.0-SNAPSHOT.jar"

# run_capture OUT CMD...: run with a timeout, output to OUT, echo the exit code.
run_capture() {
  local out=$1 rc=0
  shift
  timeout 300 "$@" >"$out" 2>&1 || rc=$?
  printf '%s\n' "$rc"
}
expect_line() { grep -qxF -- "$2" "$1" || { tail -n 30 "$1" >&2; die "missing line '$2' in $1"; }; }

# 1. Stand-in CLI through the discovered jar, local[2], odd arguments, exit code 3.
out="$work/fake.log"
rc="$(run_capture "$out" "$scratch/deploy/bin/distill-submit" --master 'local[2]' --driver-memory 700m \
  --executor-memory 1g --conf spark.app.name=fake-cli --conf "spark.executor.extraJavaOptions=-XX:+UseG1GC" \
  -- distill "my dir/a b.conf" --baseline -P 'train.name=x y' -P "quote='q'" exit=3)"
[[ "$rc" == 3 ]] || { cat "$out" >&2; die "stand-in CLI: exit code $rc, expected 3"; }
expect_line "$out" 'FAKE arg[0]=<distill>'
expect_line "$out" 'FAKE arg[1]=<my dir/a b.conf>'
expect_line "$out" 'FAKE arg[2]=<--baseline>'
expect_line "$out" 'FAKE arg[4]=<train.name=x y>'
expect_line "$out" "FAKE arg[6]=<quote='q'>"
expect_line "$out" 'FAKE spark.master=local[2]'
expect_line "$out" 'FAKE spark.serializer=org.apache.spark.serializer.KryoSerializer'
expect_line "$out" 'FAKE spark.kryo.registrator=org.nd4j.kryo.Nd4jRegistrator'
expect_line "$out" 'FAKE spark.driver.host=127.0.0.1'
expect_line "$out" 'FAKE spark.executor.memory=1g'
expect_line "$out" 'FAKE spark.app.name=fake-cli'
expect_line "$out" "FAKE executor_opens=$((${#JAVA17_OPENS[@]} + 1))"
expect_line "$out" 'FAKE executor_extra_g1=true'
expect_line "$out" "FAKE driver_opens=${#JAVA17_OPENS[@]}"
heap="$(sed -n 's/^FAKE driver_max_heap_mb=//p' "$out")"
((heap > 500 && heap <= 700)) || die "driver heap ${heap} MB, expected -Xmx700m"
ok "stand-in CLI: jar discovery, default class, arguments, confs, driver flags, heap, exit code 3"

# DISTILLERY_JAR wins over jobs/target; --jar wins over DISTILLERY_JAR.
rc="$(run_capture "$out" env DISTILLERY_JAR="$work/smoke-job.jar" "$scratch/deploy/bin/distill-submit" --dry-run -- run x.conf)"
if ! { [[ "$rc" == 0 ]] && grep -qF -- "--class io.distillery.cli.DistillCli --conf" "$out" && grep -qF "$work/smoke-job.jar run x.conf" "$out"; }; then
  cat "$out" >&2; die "DISTILLERY_JAR not used"
fi
rc="$(run_capture "$out" env DISTILLERY_JAR=/nonexistent.jar "$submit" --jar "$work/smoke-job.jar" --dry-run run x.conf)"
if ! { [[ "$rc" == 0 ]] && grep -qF "$work/smoke-job.jar run x.conf" "$out"; }; then
  cat "$out" >&2; die "--jar not used"
fi
ok "DISTILLERY_JAR and --jar (and the optional --)"

# USE_SPARK_SUBMIT=1: a stand-in spark-submit on PATH receives the same properties, plus --driver-memory.
mkdir -p "$work/fakebin"
cat > "$work/fakebin/spark-submit" <<'SH'
#!/usr/bin/env bash
printf 'SPARK_HOME=%s\n' "${SPARK_HOME:-<unset>}"
printf 'ARG<%s>\n' "$@"
exit 4
SH
chmod +x "$work/fakebin/spark-submit"
rc="$(run_capture "$out" env -u SPARK_HOME PATH="$work/fakebin:$PATH" USE_SPARK_SUBMIT=1 "$submit" \
  --jar "$work/smoke-job.jar" --driver-memory 2g -- evaluate "a b.conf")"
[[ "$rc" == 4 ]] || { cat "$out" >&2; die "USE_SPARK_SUBMIT=1: exit code $rc, expected 4"; }
for line in 'SPARK_HOME=<unset>' 'ARG<--driver-memory>' 'ARG<2g>' 'ARG<local[*]>' 'ARG<client>' \
            'ARG<io.distillery.cli.DistillCli>' "ARG<spark.executor.extraJavaOptions=$JAVA17_OPENS_STRING>" \
            "ARG<spark.driver.extraJavaOptions=$JAVA17_OPENS_STRING>" \
            'ARG<spark.serializer=org.apache.spark.serializer.KryoSerializer>' \
            'ARG<spark.kryo.registrator=org.nd4j.kryo.Nd4jRegistrator>' "ARG<$work/smoke-job.jar>" \
            'ARG<evaluate>' 'ARG<a b.conf>'; do
  expect_line "$out" "$line"
done
ok "USE_SPARK_SUBMIT=1 uses spark-submit from PATH with the same properties, exit code 4"

# 2. Pass-through masters (dry run: the assembled runtime has no spark-yarn / spark-kubernetes).
rc="$(run_capture "$out" "$submit" --master yarn --deploy-mode cluster --jar "$work/smoke-job.jar" --dry-run \
  --conf spark.yarn.dist.files=/tmp/x.conf -- run x.conf)"
if ! { [[ "$rc" == 0 ]] && grep -qF -- "--master yarn --deploy-mode cluster" "$out" && grep -qF "has no spark-yarn jar" "$out" \
  && grep -qF "spark.yarn.dist.files=/tmp/x.conf" "$out" && ! grep -qF "spark.driver.host" "$out"; }; then
  cat "$out" >&2; die "yarn dry run"
fi
rc="$(run_capture "$out" "$submit" --master k8s://https://127.0.0.1:6443 --jar local:///opt/distillery/app.jar --dry-run -- run x.conf)"
if ! { [[ "$rc" == 0 ]] && grep -qF -- "--master k8s://https://127.0.0.1:6443" "$out" && grep -qF "local:///opt/distillery/app.jar run" "$out"; }; then
  cat "$out" >&2; die "k8s dry run"
fi
rc="$(run_capture "$out" "$submit" --master yarn --jar "$work/smoke-job.jar" -- run x.conf)"
if ! { [[ "$rc" == 2 ]] && grep -qF "has no spark-yarn jar" "$out"; }; then
  cat "$out" >&2; die "yarn without spark-yarn: rc $rc"
fi
ok "yarn / k8s pass-through (dry run), missing spark-yarn refused"

for bad in "--jar $work/smoke-job.jar" "--jar $work/smoke-job.jar --conf novalue -- run x" \
           "--jar $work/smoke-job.jar --bogus -- run x" "--jar /nonexistent.jar -- run x" \
           "--jar $work/smoke-job.jar --driver-memory lots -- run x"; do
  read -r -a bad_args <<< "$bad"
  rc="$(run_capture "$out" "$submit" "${bad_args[@]}")"
  [[ "$rc" == 2 ]] || { cat "$out" >&2; die "'$bad': exit code $rc, expected 2"; }
done
ok "usage errors exit 2"

# A properties file holding spark.authenticate.secret must be private, for distill-submit and for start-cluster.sh.
secret_conf="$work/secret.conf"
printf 'spark.authenticate true\nspark.authenticate.secret not-really-secret\n' > "$secret_conf"
chmod 644 "$secret_conf"
rc="$(run_capture "$out" "$submit" --jar "$work/smoke-job.jar" --properties-file "$secret_conf" --dry-run -- run x)"
if ! { [[ "$rc" == 2 ]] && grep -qF "has mode 644" "$out" && ! grep -qF "not-really-secret" "$out"; }; then
  cat "$out" >&2; die "readable secret properties file: exit code $rc, expected 2"
fi
rc="$(run_capture "$out" env STATE_DIR="$work/refused-cluster" PROPERTIES_FILE="$secret_conf" \
  "$standalone_dir/start-cluster.sh")"
if ! { [[ "$rc" == 1 ]] && grep -qF "has mode 644" "$out" && ! compgen -G "$work/refused-cluster/*.pid" >/dev/null; }; then
  cat "$out" >&2; die "start-cluster.sh with a readable PROPERTIES_FILE: exit code $rc, expected 1"
fi
chmod 600 "$secret_conf"
rc="$(run_capture "$out" "$submit" --jar "$work/smoke-job.jar" --properties-file "$secret_conf" --dry-run -- run x)"
if ! { [[ "$rc" == 0 ]] && grep -qF -- "--properties-file $secret_conf" "$out" && ! grep -qF "not-really-secret" "$out"; }; then
  cat "$out" >&2; die "private secret properties file (dry run): exit code $rc, expected 0"
fi
ok "a readable properties file with a secret is refused (distill-submit exit 2, start-cluster.sh exit 1)"

# 3. SmokeJob on local[2]: passes with minExecutors=0, fails (exit 1) when it demands 2 executor JVMs.
rc="$(run_capture "$out" "$submit" --master 'local[2]' --jar "$work/smoke-job.jar" \
  --class io.distillery.deploy.smoke.SmokeJob -- 20000 4 0)"
[[ "$rc" == 0 ]] || { cat "$out" >&2; die "SmokeJob on local[2]: exit code $rc"; }
expect_line "$out" 'SMOKE count=20000 sum=199990000 partitions=4'
expect_line "$out" 'SMOKE OK'
rc="$(run_capture "$out" "$submit" --master 'local[2]' --jar "$work/smoke-job.jar" \
  --class io.distillery.deploy.smoke.SmokeJob -- 20000 4 2)"
if ! { [[ "$rc" == 1 ]] && grep -q '^SMOKE FAIL' "$out"; }; then
  cat "$out" >&2; die "failing SmokeJob: exit code $rc, expected 1"
fi
ok "SmokeJob on local[2] (pass, and failure exit code 1)"

# 4. SmokeJob on a fresh standalone cluster.
if [[ "${SKIP_CLUSTER:-0}" != 1 ]]; then
  cluster_state="$work/cluster"
  master_url="$(STATE_DIR="$cluster_state" MASTER_PORT=auto MASTER_WEBUI_PORT=auto WORKERS=2 WORKER_CORES=1 \
    "$standalone_dir/start-cluster.sh" | tail -n1)"
  [[ "$master_url" == spark://127.0.0.1:* ]] || die "start-cluster.sh printed '$master_url'"
  rc="$(run_capture "$out" "$submit" --master "$master_url" --jar "$work/smoke-job.jar" \
    --class io.distillery.deploy.smoke.SmokeJob --executor-memory 1g \
    --conf spark.cores.max=2 --conf spark.scheduler.minRegisteredResourcesRatio=1.0 \
    --conf spark.scheduler.maxRegisteredResourcesWaitingTime=60s -- 100000 4 2)"
  grep '^SMOKE' "$out" >&2 || true
  [[ "$rc" == 0 ]] || { tail -n 40 "$out" >&2; die "SmokeJob on $master_url: exit code $rc"; }
  expect_line "$out" 'SMOKE count=100000 sum=4999950000 partitions=4'
  expect_line "$out" 'SMOKE OK'
  for i in 1 2; do
    compgen -G "$cluster_state/worker-$i/work/app-*/*/stderr" >/dev/null || die "worker $i launched no executor"
  done
  STATE_DIR="$cluster_state" "$standalone_dir/stop-cluster.sh" >&2
  cluster_state=""
  ok "SmokeJob on standalone $master_url, tasks in 2 executor JVMs"
fi

printf '%s passed, 0 failed\n' "$passed"
