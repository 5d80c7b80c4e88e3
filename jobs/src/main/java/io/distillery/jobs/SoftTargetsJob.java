package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistilleryConfig;
import io.distillery.data.InputPreparation;
import io.distillery.model.TeacherInference;
import io.distillery.model.TeacherRuntime;
import io.distillery.provenance.Provenance;
import io.distillery.store.AtomicOutput;
import io.distillery.store.PartitionDirs;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.StoreLayout;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code soft-targets}: runs the teacher (a DL4J artifact or an ONNX model; on DL4J or ONNX Runtime) over the training
 * set on the executors and writes the soft-target store (pipeline/README.md, "The soft-target store"): raw logits,
 * tapped layers, the student's inputs carried through (in cross-modal distillation the student's own view, never the
 * teacher's features), the input's partitioning, zstd Parquet, committed atomically with {@code metadata.json} carrying
 * the teacher's hash and what was kept ({@link StoreLayout}: dense logits, or the top-k classes at float32 or float16,
 * and the taps' precision).
 */
public final class SoftTargetsJob {
    static final String STAGE = "soft-targets";
    /** Provenance fact: SHA-256 of the teacher's model zip (or of its {@code .onnx} file). */
    public static final String TEACHER_HASH = "teacher-hash";
    private static final Logger LOG = LoggerFactory.getLogger(SoftTargetsJob.class);

    private SoftTargetsJob() {
    }

    static String fingerprint(JobContext ctx, String teacherHash) {
        DistilleryConfig cfg = ctx.config();
        String fingerprint = Fingerprint.of(STAGE, teacherHash, Configs.render(cfg, "data"),
                Configs.render(cfg, "soft-targets.taps"), ctx.files().dataIdentity(cfg.data().train()));
        StoreLayout layout = StoreLayout.of(cfg.softTargets());
        // The default layout keeps the fingerprint stores had before compact layouts, so they stay up to date.
        return layout.isDefault() ? fingerprint : Fingerprint.of(fingerprint, layout.facts().toString());
    }

    public static void run(JobContext configured) {
        String storePath = configured.config().softTargets().path();
        if (configured.config().softTargets().incremental() && !configured.overwrite()
                && configured.files().exists(storePath)) {
            IncrementalSoftTargets.run(configured);
            return;
        }
        StageOutput.checkWritable(configured, storePath);
        Teacher teacher = Teacher.load(configured);
        JobContext ctx = teacher.prepared(configured);
        DistilleryConfig cfg = ctx.config();
        Dataset<Row> train = Inputs.train(ctx);
        StoreWidths widths = StoreWidths.of(ctx, train);
        teacher.check(ctx, widths.teacher());
        List<String> partitionColumns = cfg.data().partitionColumns();
        Map<String, String> partitionHashes = partitionColumns.isEmpty() ? Map.of()
                : PartitionDirs.hashes(ctx.files(), cfg.data().train(), partitionColumns);
        Provenance provenance = provenance(ctx, teacher.hash(), widths, partitionHashes);
        long t0 = System.nanoTime();
        try (AtomicOutput out = AtomicOutput.begin(ctx.files(), storePath, ctx.overwrite())) {
            write(ctx, teacher, train, widths.teacher(), out.path());
            ctx.files().writeProvenance(out.path(), provenance);
            out.commit();
        }
        LOG.info(String.format("soft-targets: store written to %s in %.1f s (%s, taps %s)", storePath,
                (System.nanoTime() - t0) / 1e9, StoreLayout.of(cfg.softTargets()), cfg.softTargets().taps()));
    }

    /**
     * The store's provenance: what consumers check ({@link #storeFacts}), the inputs with their hashes, the
     * fingerprint, and for partitioned input the files identity of each input partition stored.
     */
    static Provenance provenance(JobContext ctx, String teacherHash, StoreWidths widths,
                                 Map<String, String> partitionHashes) {
        DistilleryConfig cfg = ctx.config();
        Map<String, String> facts = new LinkedHashMap<>(storeFacts(ctx, teacherHash, widths));
        facts.put(Fingerprint.FACT, fingerprint(ctx, teacherHash));
        if (!partitionHashes.isEmpty()) {
            facts.put(IncrementalSoftTargets.PARTITION_HASHES, PartitionDirs.encode(partitionHashes));
        }
        return ctx.provenance(STAGE, List.of(
                new Provenance.InputRef("teacher", cfg.teacher().path(), teacherHash),
                new Provenance.InputRef("train-data", cfg.data().train(),
                        ctx.files().dataIdentity(cfg.data().train()))), facts);
    }

    /** What a store says about how it was made; a store is extended only by a run with the same facts. */
    static Map<String, String> storeFacts(JobContext ctx, String teacherHash, StoreWidths widths) {
        DistilleryConfig cfg = ctx.config();
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(TEACHER_HASH, teacherHash);
        facts.put("num-classes", Integer.toString(cfg.data().numClasses()));
        // input-width is the store's features' width; a cross-modal store adds student-features and the teacher's.
        facts.putAll(widths.facts(cfg.data()));
        // logits (dense | top-k), top-k, logit-precision, feature-precision: an incremental run must keep them.
        facts.putAll(StoreLayout.of(cfg.softTargets()).facts());
        facts.put("taps", String.join(",", cfg.softTargets().taps()));
        if (TeacherArtifact.runsOnOnnx(cfg)) {
            // Absent for DL4J, so stores made before ONNX Runtime keep their facts (and stay extendable).
            facts.put(TeacherArtifact.RUNTIME_FACT, "onnx");
        }
        facts.put("partition-columns", String.join(",", cfg.data().partitionColumns()));
        // The teacher's class names and scaling statistics: the store's features are scaled with them, and
        // distill, codistill and evaluate take them from here.
        facts.putAll(ctx.preparation().facts());
        return facts;
    }

    /**
     * Runs the teacher over {@code train} on the executors and writes the store's Parquet files into {@code dir};
     * the store's {@code features} are the student's view when one is configured, the teacher's otherwise.
     *
     * @param width the teacher's input width
     */
    static void write(JobContext ctx, Teacher teacher, Dataset<Row> train, int width, String dir) {
        DistilleryConfig cfg = ctx.config();
        List<String> taps = cfg.softTargets().taps();
        List<String> partitionColumns = cfg.data().partitionColumns();
        StoreLayout layout = StoreLayout.of(cfg.softTargets());
        StructType schema = SoftTargetSchema.storeSchema(taps, train.schema(), partitionColumns, layout);
        Shipped shipped = teacher.ship(ctx, width);
        try {
            Dataset<Row> store = train.mapPartitions(new TeacherInference(shipped.source(), taps,
                    cfg.softTargets().batchSize(), width, partitionColumns, layout,
                    StoreWidths.storedColumn(cfg.data())), Encoders.row(schema));
            var writer = store.write().option("compression", "zstd");
            if (!partitionColumns.isEmpty()) {
                writer = writer.partitionBy(partitionColumns.toArray(new String[0]));
            }
            writer.parquet(dir);
        } finally {
            shipped.bytes().destroy();
        }
    }

    /**
     * The configured teacher, loaded on the driver: a DL4J artifact ({@link Dl4jTeacher}) or an ONNX model
     * ({@link OnnxTeacher}), with its content hash and how its inputs were prepared.
     */
    interface Teacher {
        /** The teacher at {@code teacher.path}: an ONNX model when the path ends in {@code .onnx}. */
        static Teacher load(JobContext ctx) {
            return TeacherArtifact.isOnnx(ctx.config().teacher().path()) ? OnnxTeacher.load(ctx)
                    : Dl4jTeacher.load(ctx);
        }

        String path();

        /** SHA-256 of the model zip or the {@code .onnx} file. */
        String hash();

        InputPreparation preparation();

        /** {@code ctx} preparing its data as this teacher's training data was, after checking the config agrees. */
        default JobContext prepared(JobContext ctx) {
            Inputs.checkScalingConfigured(ctx, preparation().scaling(), "the teacher at " + path());
            return ctx.prepared(preparation());
        }

        /** The teacher must fit the data (class count, input width, taps); each misfit is one sentence. */
        void check(JobContext ctx, int width);

        /** Broadcasts the model and returns what the executors run it from. */
        Shipped ship(JobContext ctx, int width);

        static void checkTopK(JobContext ctx, ConfigProblems problems, long classes, String path) {
            int topK = ctx.config().softTargets().topK();
            problems.check(topK <= classes, "Key distillery.soft-targets.top-k is " + topK + " but teacher " + path
                    + " has " + classes + " classes; a store cannot keep more classes than there are.");
        }
    }

    /**
     * A teacher sent to the executors.
     *
     * @param source what each executor opens its runtime from
     * @param bytes  the broadcast model, destroyed once the store is written
     */
    record Shipped(TeacherRuntime.Source source, Broadcast<byte[]> bytes) {
    }
}
