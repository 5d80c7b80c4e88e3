package io.distillery.bench;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.jobs.SoftTargetsJob;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.TeacherInference;
import io.distillery.store.ArtifactFiles;
import io.distillery.train.AveragingEngine;
import io.distillery.train.Dl4jEpochEngine;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * {@code distill bench}: our Spark paths against plain single-process DL4J loops doing the same work on the same
 * rows with the same batch size, in one JVM, timed alternately so that drift (other load, thermal, GC) hits every
 * side alike.
 * <ul>
 *   <li><b>Soft targets.</b> Ours: {@link SoftTargetsJob#run} end to end (input validation, hashes, Parquet in,
 *   {@link TeacherInference} in {@code mapPartitions}, zstd Parquet out, commit), and its core alone
 *   ({@code mapPartitions(TeacherInference)} + zstd write), and the core into Spark's no-op sink (no store
 *   encoding or output). Plain: {@link LogitsAndTaps#forward} (logits + taps,
 *   the same work as the executor side) over the same rows held in memory as INDArray batches.</li>
 *   <li><b>Student training.</b> Ours: the round loop on {@link AveragingEngine}. Plain:
 *   {@code MultiLayerNetwork.fit(DataSet)}
 *   over the same blocks' minibatches in the same epoch order ({@code TrainingBlock.minibatch}), round by round as
 *   the workers see them. DL4J: {@link Dl4jEpochEngine} on the same RDD. One warm-up epoch each
 *   first, after the blocks are cached, so the one-time decoding and caching is not timed.</li>
 * </ul>
 * ND4J's thread settings are process-wide, so in local mode they apply to the driver and the executor threads alike.
 * The Spark side is measured once per {@link BenchOptions#taskThreads} setting; the plain loops always run with
 * ND4J's default (all cores for their one stream), and the setting is restored before each plain run.
 */
public final class Bench {
    private final SparkSession spark;
    private final BenchOptions o;
    private final BenchReport report = new BenchReport();
    private final Nd4jThreads threads = Nd4jThreads.capture();

    public Bench(SparkSession spark, BenchOptions options) {
        this.spark = spark;
        this.o = options;
    }

    /** Runs every measurement and returns the report (also printed by the command). */
    public BenchReport run() {
        DistilleryConfig cfg = ConfigLoader.load(o.config, o.overrides);
        ArtifactFiles files = new ArtifactFiles(spark.sparkContext().hadoopConfiguration());
        if (o.repeats < 1) {
            throw new DistilleryException("--repeats is " + o.repeats + "; it must be at least 1.");
        }
        File work = null;
        try {
            work = o.workDir != null ? o.workDir : Files.createTempDirectory("distillery-bench").toFile();
            work.mkdirs();
            BenchSetup setup = new BenchSetup(spark, o, cfg, work, report, threads);
            String store = new SoftTargetBench(setup).run();
            new TrainingBench(setup).run(store);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            threads.restore();
            if (work != null && o.workDir == null) {
                files.delete(work.getAbsolutePath());
            }
        }
        report.machine().put("load average at end", Machine.loadAverage());
        notes();
        return report;
    }

    private void notes() {
        int cores = Runtime.getRuntime().availableProcessors();
        double load = Machine.loadAverage1();
        if (load > 0.5 * cores) {
            report.notes().add(String.format(java.util.Locale.ROOT, "the machine was busy when the bench started "
                    + "(1-minute load %.1f on %d cores): every figure, and the ratios, are unreliable.", load, cores));
        }
        report.notes().add("plain soft-target loop = LogitsAndTaps.forward only, over rows already decoded into "
                + "INDArray batches; ours also decodes Parquet rows, copies features in and logits/taps out of "
                + "Spark rows, and encodes zstd Parquet (the job also validates the input and hashes input and "
                + "teacher).");
        if (o.dl4j) {
            report.notes().add("DL4J's ParameterAveragingTrainingMaster persists its input (MEMORY_ONLY_SER) and "
                    + "never unpersists it; the bench unpersists it after each DL4J epoch (untimed) so it cannot "
                    + "crowd out the cached blocks. Its Direct approach also splits each epoch into "
                    + "rows / (workers x batch x frequency) splits, each of which scans the whole persisted input.");
        }
        report.notes().add("plain training loop = MultiLayerNetwork.fit over the same minibatches on the driver; ours "
                + "and dl4j also broadcast/average parameters and updater state every averaging-frequency "
                + "minibatches and run 'partitions' fits concurrently that share the cores (and ND4J's threads).");
        if (!spark.sparkContext().master().startsWith("local")) {
            report.notes().add("task threads settings are applied in the driver JVM only; on a cluster set "
                    + "OMP_NUM_THREADS on the executors instead.");
        }
    }

    static String shape(MultiLayerNetwork net) {
        StringBuilder s = new StringBuilder(Long.toString(net.layerInputSize(0)));
        for (int i = 0; i < net.getnLayers(); i++) {
            s.append('-').append(net.layerSize(i));
        }
        return s.toString();
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
