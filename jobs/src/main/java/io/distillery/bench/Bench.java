package io.distillery.bench;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistillSpec;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.config.TrainSpec;
import io.distillery.jobs.JobContext;
import io.distillery.jobs.SoftTargetsJob;
import io.distillery.loss.DistillationLoss;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.ModelArtifact;
import io.distillery.model.ModelFactory;
import io.distillery.model.TeacherInference;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.Versions;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.SoftTargetSchema;
import io.distillery.train.AveragingBackend;
import io.distillery.train.Dl4jParameterAveragingBackend;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainingBackend;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

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
 *   <li><b>Student training.</b> Ours: {@link AveragingBackend}. Plain: {@code MultiLayerNetwork.fit(DataSet)}
 *   over the same blocks' minibatches in the same epoch order ({@code TrainingBlock.minibatch}), round by round as
 *   the workers see them. DL4J: {@link Dl4jParameterAveragingBackend} on the same RDD. One warm-up epoch each
 *   first, after the blocks are cached, so the one-time decoding and caching is not timed.</li>
 * </ul>
 * ND4J's thread settings are process-wide, so in local mode they apply to the driver and the executor threads alike.
 * The Spark side is measured once per {@link BenchOptions#taskThreads} setting; the plain loops always run with
 * ND4J's default (all cores for their one stream), and the setting is restored before each plain run.
 */
public final class Bench {
    private static final Logger LOG = LoggerFactory.getLogger(Bench.class);
    private static final String DEFAULT_FULL_DATA = "data/fashion-mnist/train";

    private final SparkSession spark;
    private final JavaSparkContext sc;
    private final BenchOptions o;
    private final BenchReport report = new BenchReport();
    private final Nd4jThreads threads = Nd4jThreads.capture();

    private DistilleryConfig cfg;
    private ArtifactFiles files;
    private File work;
    private String input;
    private long rows;
    private int width;
    private int partitions;
    private int inferBatch;
    private int batchSize;
    private int averagingFrequency;

    public Bench(SparkSession spark, BenchOptions options) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.o = options;
    }

    /** Runs every measurement and returns the report (also printed by the command). */
    public BenchReport run() {
        cfg = ConfigLoader.load(o.config, o.overrides);
        files = new ArtifactFiles(spark.sparkContext().hadoopConfiguration());
        if (o.repeats < 1) {
            throw new DistilleryException("--repeats is " + o.repeats + "; it must be at least 1.");
        }
        try {
            work = o.workDir != null ? o.workDir : Files.createTempDirectory("distillery-bench").toFile();
            work.mkdirs();
            prepare();
            String store = softTargets();
            training(store);
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

    /** Resolves the settings and writes the rows to use, one Parquet file per partition, so every side reads the same. */
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

    // ---------------------------------------------------------------------------------------------- soft targets

    /** Measures the soft-target stage; returns a store written by our path, the student's input. */
    private String softTargets() {
        ModelSpec teacherSpec = cfg.teacher().model();
        List<String> taps = cfg.softTargets().taps();
        int classes = cfg.data().numClasses();
        MultiLayerNetwork teacher = ModelFactory.build(teacherSpec, width, List.of(), classes, new LossMCXENT(),
                cfg.seed());
        trainBriefly(teacher, classes);
        String teacherDir = new File(work, "teacher").getAbsolutePath();
        ModelArtifact.save(files, teacher, teacherDir, new Provenance("bench", Instant.now().toString(),
                Versions.current(), cfg.seed(), "{}", List.of(), Map.of()), true);
        byte[] teacherZip = files.readBytes(teacherDir + "/" + ModelArtifact.MODEL_FILE);
        String teacherHash = ModelArtifact.hash(files, teacherDir);
        String model = "teacher " + shape(teacher) + (taps.isEmpty() ? "" : " taps " + taps);

        LogitsAndTaps plainTeacher = new LogitsAndTaps(ModelArtifact.load(files, teacherDir), taps);
        List<INDArray> batches = featureBatches(inferBatch);
        StructType schema = SoftTargetSchema.storeSchema(taps, spark.read().parquet(input).schema(), List.of());

        int[] counter = {0};
        java.util.function.Supplier<String> job = () -> {
            String out = new File(work, "st-job-" + counter[0]++).getAbsolutePath();
            List<String> overrides = new ArrayList<>(o.overrides);
            overrides.addAll(List.of(
                    "run-dir=" + quote(new File(work, "run").getAbsolutePath()),
                    "data.train=" + quote(input), "data.test=" + quote(input),
                    "teacher.path=" + quote(teacherDir), "soft-targets.path=" + quote(out),
                    "soft-targets.batch-size=" + inferBatch));
            DistilleryConfig c = ConfigLoader.load(o.config, overrides);
            SoftTargetsJob.run(JobContext.of(spark, c, true, false));
            return out;
        };
        java.util.function.Supplier<String> core = () -> {
            String out = new File(work, "st-core-" + counter[0]++).getAbsolutePath();
            Broadcast<byte[]> zip = sc.broadcast(teacherZip);
            try {
                spark.read().parquet(input)
                        .mapPartitions(new TeacherInference(zip, teacherHash, taps, inferBatch, width, List.of()),
                                Encoders.row(schema))
                        .write().option("compression", "zstd").parquet(out);
            } finally {
                zip.destroy();
            }
            return out;
        };
        // The core without its output: evaluated through Spark's no-op sink, so the difference to the core is the
        // store's encoding (rows to Parquet, zstd) and file output.
        java.util.function.Supplier<String> noWrite = () -> {
            Broadcast<byte[]> zip = sc.broadcast(teacherZip);
            try {
                spark.read().parquet(input)
                        .mapPartitions(new TeacherInference(zip, teacherHash, taps, inferBatch, width, List.of()),
                                Encoders.row(schema))
                        .write().format("noop").mode("overwrite").save();
            } finally {
                zip.destroy();
            }
            return null;
        };
        Runnable plain = () -> {
            double sink = 0;
            for (INDArray x : batches) {
                LogitsAndTaps.Result r = plainTeacher.forward(x);
                sink += r.logits().getDouble(0, 0);
                for (INDArray t : r.taps()) {
                    sink += t.getDouble(0, 0);
                }
            }
            if (Double.isNaN(sink)) {
                LOG.warn("bench: the teacher produced NaN");
            }
        };

        String store = null;
        if (!o.softTargets) {
            return core.get();
        }
        for (String setting : o.taskThreads) {
            String t = threads.describe(setting);
            Measurement mJob = report.add(new Measurement("soft-targets", "ours: SoftTargetsJob.run", model, t, rows));
            Measurement mCore = report.add(new Measurement("soft-targets", "ours: mapPartitions + zstd write", model,
                    t, rows));
            Measurement mNoWrite = report.add(new Measurement("soft-targets", "ours: mapPartitions, noop sink", model,
                    t, rows));
            Measurement mPlain = report.add(new Measurement("soft-targets", "plain: LogitsAndTaps.forward loop",
                    model, threads.describeDefault(), rows));
            for (int r = 0; r <= o.repeats; r++) {
                boolean warmUp = r == 0;
                threads.apply(setting);
                String jobOut = timed(warmUp ? null : mJob, job);
                files.delete(jobOut);
                String coreOut = timed(warmUp ? null : mCore, core);
                if (store != null) {
                    files.delete(store);
                }
                store = coreOut;
                timed(warmUp ? null : mNoWrite, noWrite);
                threads.restore();
                timed(warmUp ? null : mPlain, () -> {
                    plain.run();
                    return null;
                });
                LOG.info("bench: soft targets, threads {}, {} {}", setting, warmUp ? "warm-up" : "repeat", r);
            }
            report.ratio("soft-targets: SoftTargetsJob.run / plain", mJob, mPlain, BenchReport.GOAL);
            report.ratio("soft-targets: mapPartitions+write / plain", mCore, mPlain, BenchReport.GOAL);
            report.ratio("soft-targets: mapPartitions+noop / plain", mNoWrite, mPlain, Double.NaN);
        }
        return store;
    }

    /** A few minibatches of plain training, so the teacher is a trained model (its weights do not affect speed). */
    private void trainBriefly(MultiLayerNetwork teacher, int classes) {
        Iterator<Row> it = spark.read().parquet(input).select(SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES)
                .limit(10 * 64).toLocalIterator();
        List<Row> batch = new ArrayList<>();
        while (it.hasNext()) {
            batch.add(it.next());
            if (batch.size() == 64 || !it.hasNext()) {
                float[] x = new float[batch.size() * width];
                float[] y = new float[batch.size() * classes];
                for (int r = 0; r < batch.size(); r++) {
                    List<Float> f = batch.get(r).getList(1);
                    for (int i = 0; i < width; i++) {
                        x[r * width + i] = f.get(i);
                    }
                    y[r * classes + batch.get(r).getInt(0)] = 1f;
                }
                teacher.fit(new DataSet(Nd4j.create(x, new long[]{batch.size(), width}, 'c'),
                        Nd4j.create(y, new long[]{batch.size(), classes}, 'c')));
                batch.clear();
            }
        }
    }

    /** The input's features as INDArray batches of {@code size} rows, in the input's order. */
    private List<INDArray> featureBatches(int size) {
        List<INDArray> batches = new ArrayList<>();
        Iterator<Row> it = spark.read().parquet(input).select(SoftTargetSchema.FEATURES).toLocalIterator();
        float[] x = new float[size * width];
        int n = 0;
        while (it.hasNext()) {
            List<Float> f = it.next().getList(0);
            for (int i = 0; i < width; i++) {
                x[n * width + i] = f.get(i);
            }
            if (++n == size || !it.hasNext()) {
                float[] exact = n == size ? x : java.util.Arrays.copyOf(x, n * width);
                batches.add(Nd4j.create(exact, new long[]{n, width}, 'c'));
                x = new float[size * width];
                n = 0;
            }
        }
        return batches;
    }

    // ---------------------------------------------------------------------------------------------------- training

    private void training(String store) {
        DistillSpec d = cfg.distill();
        int classes = cfg.data().numClasses();
        Dataset<Row> storeRows = spark.read().option("pathGlobFilter", "*.parquet").parquet(store)
                .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES,
                        SoftTargetSchema.LOGITS);
        JavaRDD<TrainingBlock> blocks = TrainingBlocks.pack(storeRows, partitions, width,
                RowLabels.distillation(classes, d.labelledFraction(), cfg.seed()));
        long packed = blocks.map(TrainingBlock::rows).reduce(Integer::sum);
        List<List<TrainingBlock>> byPartition = blocks.glom().collect();
        TrainSpec spec = new TrainSpec(1, batchSize, averagingFrequency, partitions, "distillery");
        report.settings().put("student loss", new DistillationLoss(d.temperature(), d.alpha(), classes).toString()
                + ", labels [one-hot (labelled fraction " + d.labelledFraction() + ") | teacher logits]");
        try {
            for (String hidden : students()) {
                student(hidden, blocks, byPartition, packed, spec, classes);
            }
        } finally {
            blocks.unpersist();
        }
    }

    private List<String> students() {
        if (!o.students.isEmpty()) {
            return o.students;
        }
        String configured = cfg.studentModel().layers().stream().map(l -> Integer.toString(l.units()))
                .collect(Collectors.joining(","));
        return configured.equals("800,800") ? List.of(configured) : List.of(configured, "800,800");
    }

    private void student(String hidden, JavaRDD<TrainingBlock> blocks, List<List<TrainingBlock>> byPartition,
                         long packed, TrainSpec spec, int classes) {
        ModelSpec base = cfg.studentModel();
        List<LayerSpec> layers = new ArrayList<>();
        String[] units = hidden.split(",");
        for (int i = 0; i < units.length; i++) {
            layers.add(new LayerSpec("dense", "hidden" + (i + 1), Integer.parseInt(units[i].trim()), 2, 1, "relu", 0));
        }
        ModelSpec ms = new ModelSpec(layers, base.updater(), base.learningRate(), base.l2(), 0, 0);
        DistillSpec d = cfg.distill();
        java.util.function.Supplier<MultiLayerNetwork> fresh = () -> ModelFactory.build(ms, width, List.of(),
                classes, new DistillationLoss(d.temperature(), d.alpha(), classes), cfg.seed());
        MultiLayerNetwork oursNet = fresh.get();
        MultiLayerNetwork plainNet = fresh.get();
        MultiLayerNetwork dl4jNet = o.dl4j ? fresh.get() : null;
        MultiLayerNetwork oneRoundNet = o.breakdown ? fresh.get() : null;
        int maxBatches = byPartition.stream().filter(b -> !b.isEmpty())
                .mapToInt(b -> b.get(0).batchCount(batchSize)).max().orElse(1);
        TrainSpec oneRound = new TrainSpec(1, batchSize, maxBatches, partitions, "distillery");
        String model = "student " + shape(oursNet);
        PlainTrainer plain = new PlainTrainer(byPartition, cfg.seed(), batchSize, averagingFrequency);

        try (TrainingBackend ours = new AveragingBackend(sc, blocks, spec, cfg.seed(), oursNet);
             TrainingBackend dl4j = o.dl4j ? new Dl4jParameterAveragingBackend(sc, blocks, spec, cfg.seed()) : null;
             TrainingBackend ours1 = o.breakdown ? new AveragingBackend(sc, blocks, oneRound, cfg.seed(), oneRoundNet)
                     : null) {
            int epoch = 0;
            for (String setting : o.taskThreads) {
                String t = threads.describe(setting);
                Measurement mOurs = report.add(new Measurement("training", "ours: AveragingBackend", model, t,
                        packed));
                Measurement mPlain = report.add(new Measurement("training", "plain: MultiLayerNetwork.fit loop",
                        model, threads.describeDefault(), packed));
                Measurement mDl4j = o.dl4j ? report.add(new Measurement("training",
                        "dl4j: ParameterAveragingTrainingMaster", model, t, packed)) : null;
                Measurement mOne = ours1 == null ? null : report.add(new Measurement("training",
                        "ours, 1 round/epoch (breakdown)", model, t, packed));
                for (int r = 0; r <= o.repeats; r++, epoch++) {
                    boolean warmUp = r == 0;
                    int e = epoch;
                    threads.apply(setting);
                    timed(warmUp ? null : mOurs, () -> ours.fitEpoch(oursNet, e));
                    if (ours1 != null) {
                        timed(warmUp ? null : mOne, () -> ours1.fitEpoch(oneRoundNet, e));
                    }
                    threads.restore();
                    timed(warmUp ? null : mPlain, () -> plain.fitEpoch(plainNet, e));
                    if (dl4j != null) {
                        threads.apply(setting);
                        timed(warmUp ? null : mDl4j, () -> dl4j.fitEpoch(dl4jNet, e));
                        threads.restore();
                        dropLeakedRdds(blocks);
                    }
                    LOG.info("bench: {}, threads {}, {} {}", model, setting, warmUp ? "warm-up" : "repeat", r);
                }
                report.ratio("training: ours / plain", mOurs, mPlain, BenchReport.GOAL);
                if (mDl4j != null) {
                    report.ratio("training: dl4j / plain", mDl4j, mPlain, Double.NaN);
                }
                if (mOne != null) {
                    report.ratio("training: ours 1 round/epoch / plain", mOne, mPlain, Double.NaN);
                    double rounds = Math.ceil(maxBatches / (double) averagingFrequency);
                    if (rounds > 1) {
                        report.notes().add(String.format(java.util.Locale.ROOT, "%s, threads %s: one averaging "
                                        + "round costs about %.1f ms beyond its minibatches ((ours - ours 1 "
                                        + "round/epoch) / (%d - 1) rounds, medians).", model, t,
                                1000 * (mOurs.medianSeconds() - mOne.medianSeconds()) / (rounds - 1), (int) rounds));
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    private static <T> T timed(Measurement m, java.util.function.Supplier<T> body) {
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

    /**
     * Unpersists every RDD but {@code keep}. DL4J's ParameterAveragingTrainingMaster persists its input
     * (MEMORY_ONLY_SER) and never unpersists it, so each DL4J epoch leaves one serialized copy of the epoch's
     * minibatches in the block manager; left there, they would crowd out our cached blocks in later runs.
     */
    private void dropLeakedRdds(JavaRDD<?> keep) {
        for (Map.Entry<Integer, JavaRDD<?>> e : sc.getPersistentRDDs().entrySet()) {
            if (e.getKey() != keep.id()) {
                e.getValue().unpersist(true);
            }
        }
    }

    static String shape(MultiLayerNetwork net) {
        StringBuilder s = new StringBuilder(Long.toString(net.layerInputSize(0)));
        for (int i = 0; i < net.getnLayers(); i++) {
            s.append('-').append(net.layerSize(i));
        }
        return s.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
