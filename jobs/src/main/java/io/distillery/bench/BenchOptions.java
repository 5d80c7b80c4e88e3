package io.distillery.bench;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code distill bench} measures. Zero (or empty) means "take it from the run config" (or the documented
 * default), so the bench measures what a run of that config would do unless told otherwise.
 */
public final class BenchOptions {
    /** The run config whose teacher, student, batch sizes and distillation loss are benchmarked. */
    public File config = new File("conf/fashion-mnist-offline.conf");
    /** Config overrides, {@code key=value}, as {@code -P} takes them in the other subcommands. */
    public List<String> overrides = new ArrayList<>();
    /**
     * Training rows (Parquet: id, label, features); default: {@code data/fashion-mnist/train} if present, else the
     * config's.
     */
    public String data;
    /** Rows to use (the first N by id); 0 = all. */
    public int rows;
    /** Timed repetitions of each measurement (after one warm-up each); medians are reported. */
    public int repeats = 5;
    /** Spark partitions = training workers = soft-target tasks; 0 = Spark's default parallelism. */
    public int partitions;
    /** Rows per teacher forward pass; 0 = {@code soft-targets.batch-size} of the config. */
    public int inferBatchSize;
    /** Rows per training minibatch; 0 = {@code student.train.batch-size} of the config. */
    public int batchSize;
    /** Minibatches per worker between two averages; 0 = {@code student.train.averaging-frequency} of the config. */
    public int averagingFrequency;
    /**
     * Students to train, each as its hidden dense layer widths ("32", "800,800"); empty = the config's student and
     * a 784-800-800-10 net (Hinton's student size).
     */
    public List<String> students = new ArrayList<>();
    /**
     * ND4J thread settings for the Spark side, one full set of measurements each: {@code default} (ND4J's own,
     * one OpenMP/BLAS thread per core, shared by the concurrent tasks) or a number of threads per op. The plain
     * single-process loops always run with ND4J's default.
     */
    public List<String> taskThreads = new ArrayList<>(List.of("default", "1"));
    /** Also measure DL4J's ParameterAveragingTrainingMaster. */
    public boolean dl4j = true;
    /**
     * Also time our averaging with one round per epoch (averaging frequency = the partition's minibatches): the
     * difference to the configured frequency is the cost of the averaging rounds themselves.
     */
    public boolean breakdown;
    /** Also measure the soft-target stage (needed anyway once, to make the student's input). */
    public boolean softTargets = true;
    /** Scratch directory (a fresh temp directory when null); deleted at the end. */
    public File workDir;
}
