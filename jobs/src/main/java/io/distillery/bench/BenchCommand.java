package io.distillery.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code distill bench}: throughput of our Spark paths against plain single-process DL4J loops; see {@link Bench}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        subcommands = {StoreBenchCommand.class, CodistillBenchCommand.class, TeacherRuntimeBenchCommand.class},
        description = "Measure soft-target and student-training throughput of our Spark paths against plain "
                + "single-process DL4J loops (and DL4J's ParameterAveragingTrainingMaster) on the same rows and "
                + "batch size; print medians of alternating runs, the runs, and the ratios. 'bench store' measures "
                + "the soft-target store's size and fidelity instead.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", defaultValue = "conf/fashion-mnist-offline.conf",
            description = "Run config whose teacher, student, batch sizes and loss are used "
                    + "(default: ${DEFAULT-VALUE}).")
    File config;

    @Option(names = "-P", paramLabel = "KEY=VALUE",
            description = "Override a config key (with or without the 'distillery.' prefix); repeatable.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--data", paramLabel = "PATH",
            description = "Training rows, Parquet (id, label, features). Default: data/fashion-mnist/train when it "
                    + "exists, else the config's data.train.")
    String data;

    @Option(names = "--rows", defaultValue = "0", description = "Use the first N rows by id; 0 = all (default).")
    int rows;

    @Option(names = "--repeats", defaultValue = "5",
            description = "Timed runs of each measurement, after one warm-up (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = {"--partitions", "--workers"}, defaultValue = "0",
            description = "Partitions = training workers = soft-target tasks; 0 = Spark's default parallelism.")
    int partitions;

    @Option(names = "--infer-batch-size", defaultValue = "0",
            description = "Rows per teacher forward pass; 0 = the config's soft-targets.batch-size.")
    int inferBatchSize;

    @Option(names = "--batch-size", defaultValue = "0",
            description = "Rows per training minibatch; 0 = the config's student.train.batch-size.")
    int batchSize;

    @Option(names = "--averaging-frequency", defaultValue = "0",
            description = "Minibatches per worker between averages; 0 = the config's student.train value.")
    int averagingFrequency;

    @Option(names = "--student", paramLabel = "UNITS", split = ";",
            description = "A student's hidden layer widths, e.g. 32 or 800,800; repeatable. Default: the config's "
                    + "student and 800,800.")
    List<String> students = new ArrayList<>();

    @Option(names = "--task-threads", paramLabel = "SETTING", split = ",", defaultValue = "default,1",
            description = "ND4J threads per op on the Spark side, one set of measurements each: 'default' or a "
                    + "number (default: ${DEFAULT-VALUE}). Plain loops always use ND4J's default.")
    List<String> taskThreads;

    @Option(names = "--no-dl4j", description = "Skip DL4J's ParameterAveragingTrainingMaster.")
    boolean noDl4j;

    @Option(names = "--breakdown", description = "Also time our averaging with one round per epoch, to separate "
            + "the cost of the averaging rounds from that of concurrent fitting.")
    boolean breakdown;

    @Option(names = "--no-soft-targets", description = "Skip the soft-target measurements (one untimed run still "
            + "makes the students' input).")
    boolean noSoftTargets;

    @Mixin
    BenchRunOptions run;

    @Override
    public Integer call() {
        BenchOptions o = new BenchOptions();
        o.config = config;
        o.overrides = overrides;
        o.data = data;
        o.rows = rows;
        o.repeats = repeats;
        o.partitions = partitions;
        o.inferBatchSize = inferBatchSize;
        o.batchSize = batchSize;
        o.averagingFrequency = averagingFrequency;
        o.students = students;
        o.taskThreads = taskThreads;
        o.dl4j = !noDl4j;
        o.breakdown = breakdown;
        o.softTargets = !noSoftTargets;
        o.workDir = run.workDir;
        return run.run("distillery bench", spark -> new Bench(spark, o).run(), BenchReport::render,
                BenchReport::toJson);
    }
}
