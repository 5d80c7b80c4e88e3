/*
 * SmokeJob: a dependency-free Spark job used by deploy/standalone/smoke-test.sh to prove a standalone cluster
 * really runs tasks in executor JVMs separate from the driver.
 *
 * Counts and sums a parallelized range across a number of partitions (default 4) and reports, per partition,
 * the PID of the JVM that ran it. Exits non-zero unless the count and sum are right and the tasks ran in at least
 * the expected number (default 2) of distinct JVMs, none of them the driver.
 *
 * Usage: SmokeJob [n=100000] [partitions=4] [minExecutors=2]
 * minExecutors=0 accepts tasks run in the driver JVM (a local[N] master), for deploy/bin/test-distill-submit.sh.
 * Compiled at test time with javac against SPARK_HOME/jars; not part of the Maven build.
 */
package io.distillery.deploy.smoke;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

public final class SmokeJob {

  private SmokeJob() {}

  public static void main(String[] args) throws Exception {
    long n = args.length > 0 ? Long.parseLong(args[0]) : 100_000L;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int minExecutors = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    long driverPid = ManagementFactory.getRuntimeMXBean().getPid();

    SparkConf conf = new SparkConf().setAppName("distillery-standalone-smoke");
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      List<Long> values = LongStream.range(0, n).boxed().collect(Collectors.toList());
      JavaRDD<Long> rdd = sc.parallelize(values, partitions);

      // One record per partition: "partition pid count sum". The short sleep keeps one executor from
      // draining every task before the other gets any.
      List<String> perPartition = rdd.mapPartitionsWithIndex((Integer index, Iterator<Long> it) -> {
        long count = 0;
        long sum = 0;
        while (it.hasNext()) {
          sum += it.next();
          count++;
        }
        Thread.sleep(1_000L);
        long pid = ManagementFactory.getRuntimeMXBean().getPid();
        return Collections.singletonList(index + " " + pid + " " + count + " " + sum).iterator();
      }, true).collect();

      long count = 0;
      long sum = 0;
      TreeSet<Long> pids = new TreeSet<>();
      List<String> problems = new ArrayList<>();
      for (String line : perPartition) {
        String[] f = line.split(" ");
        System.out.println("SMOKE partition=" + f[0] + " executor_pid=" + f[1] + " count=" + f[2]);
        pids.add(Long.parseLong(f[1]));
        count += Long.parseLong(f[2]);
        sum += Long.parseLong(f[3]);
      }
      long expectedSum = n * (n - 1) / 2;
      if (perPartition.size() != partitions) {
        problems.add("expected " + partitions + " partitions, got " + perPartition.size());
      }
      if (count != n || sum != expectedSum) {
        problems.add("expected count=" + n + " sum=" + expectedSum + ", got count=" + count + " sum=" + sum);
      }
      if (minExecutors > 0 && pids.contains(driverPid)) {
        problems.add("a task ran in the driver JVM (pid " + driverPid + ")");
      }
      if (pids.size() < minExecutors) {
        problems.add("tasks ran in " + pids.size() + " JVM(s), expected at least " + minExecutors);
      }

      System.out.println("SMOKE master=" + sc.master() + " driver_pid=" + driverPid);
      System.out.println("SMOKE count=" + count + " sum=" + sum + " partitions=" + perPartition.size());
      System.out.println("SMOKE executor_pids=" + pids.stream().map(String::valueOf)
          .collect(Collectors.joining(",")));
      if (!problems.isEmpty()) {
        problems.forEach(p -> System.out.println("SMOKE FAIL " + p));
        System.exit(1);
      }
      System.out.println("SMOKE OK");
    }
  }
}
