package io.distillery.bench;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.Map;

/**
 * What both halves of the bench share: the settings resolved from the options and the config, the input rows
 * written once (one Parquet file per partition) so every side reads the same, the report, and ND4J's thread
 * settings.
 */
final class BenchSetup {
    private static final Logger LOG = LoggerFactory.getLogger(BenchSetup.class);
    private static final String DEFAULT_FULL_DATA = "data/fashion-mnist/train";

    final SparkSession spark;
    final JavaSparkContext sc;
    final BenchOptions o;
    final DistilleryConfig cfg;
    final ArtifactFiles files;
    final File work;
    final BenchReport report;
    final Nd4jThreads threads;

    String input;
    long rows;
    int width;
    int partitions;
    int inferBatch;
    int batchSize;
    int averagingFrequency;

    BenchSetup(SparkSession spark, BenchOptions o, DistilleryConfig cfg, File work, BenchReport report,
               Nd4jThreads threads) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.o = o;
        this.cfg = cfg;
        this.files = new ArtifactFiles(spark.sparkContext().hadoopConfiguration());
        this.work = work;
        this.report = report;
        this.threads = threads;
        prepare();
    }

    /** Resolves the settings and writes the rows, one Parquet file per partition, so every side reads the same. */
    private void prepare() {
        String source = o.data != null ? o.data
                : new File(DEFAULT_FULL_DATA).isDirectory() ? DEFAULT_FULL_DATA : cfg.data().train();
        partitions = o.partitions > 0 ? o.partitions : spark.sparkContext().defaultParallelism();
        inferBatch = o.inferBatchSize > 0 ? o.inferBatchSize : cfg.softTargets().batchSize();
        batchSize = o.batchSize > 0 ? o.batchSize : cfg.student().train().batchSize();
        averagingFrequency = o.averagingFrequency > 0 ? o.averagingFrequency
                : cfg.student().train().averagingFrequency();

        Dataset<Row> data = spark.read().option("pathGlobFilter", "*.parquet").parquet(source)
                .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES);
        if (o.rows > 0) {
            data = data.orderBy(SoftTargetSchema.ID).limit(o.rows);
        }
        input = new File(work, "input").getAbsolutePath();
        data.repartition(partitions).write().option("compression", "zstd").parquet(input);
        Dataset<Row> in = spark.read().parquet(input);
        rows = in.count();
        width = in.select(SoftTargetSchema.FEATURES).head().getList(0).size();
        if (rows == 0) {
            throw new DistilleryException("Bench data " + source + " has no rows.");
        }

        report.machine().putAll(Machine.describe(spark));
        Map<String, Object> s = report.settings();
        s.put("config", o.config.getPath() + (o.overrides.isEmpty() ? "" : " " + o.overrides));
        s.put("data", source);
        s.put("rows", rows);
        s.put("input partitions (files)", partitions);
        s.put("soft-target tasks", in.rdd().getNumPartitions());
        s.put("repeats", o.repeats);
        s.put("inference batch size", inferBatch);
        s.put("training batch size", batchSize);
        s.put("averaging frequency", averagingFrequency);
        s.put("task threads settings", o.taskThreads);
        s.put("plain loops' threads", threads.describeDefault());
        LOG.info("bench: {} rows of {} in {} partitions", rows, source, partitions);
    }

    /** Runs {@code body}, adding its wall time to {@code m} (none for a warm-up, {@code m == null}). */
    <T> T timed(Measurement m, java.util.function.Supplier<T> body) {
        long t0 = System.nanoTime();
        T value = body.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (m != null) {
            m.add(seconds);
            LOG.info(String.format(java.util.Locale.ROOT, "bench: %s | %s | %s | %.3f s | %.0f rows/s", m.name(),
                    m.model(), m.threads(), seconds, m.rows() / seconds));
        }
        return value;
    }
}
