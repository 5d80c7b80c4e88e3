package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistilleryConfig;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.ModelArtifact;
import io.distillery.model.TeacherInference;
import io.distillery.provenance.Provenance;
import io.distillery.store.AtomicOutput;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.StoreLayout;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code soft-targets}: runs the teacher over the training set on the executors and writes the soft-target store
 * (DESIGN.md section 3): raw logits, tapped layers, the student's inputs carried through, the input's partitioning,
 * zstd Parquet, committed atomically with {@code metadata.json} carrying the teacher's hash and what was kept
 * ({@link StoreLayout}: dense logits, or the top-k classes at float32 or float16, and the taps' precision).
 */
public final class SoftTargetsJob {
    static final String STAGE = "soft-targets";
    /** Provenance fact: SHA-256 of the teacher's model zip. */
    public static final String TEACHER_HASH = "teacher-hash";
    private static final Logger LOG = LoggerFactory.getLogger(SoftTargetsJob.class);

    private SoftTargetsJob() {
    }

    static String fingerprint(JobContext ctx, String teacherHash) {
        DistilleryConfig cfg = ctx.config();
        String fingerprint = Fingerprint.of(STAGE, teacherHash, Configs.render(cfg, "data"),
                Configs.render(cfg, "soft-targets.taps"), ctx.files().contentHash(cfg.data().train()));
        StoreLayout layout = StoreLayout.of(cfg.softTargets());
        // The default layout keeps the fingerprint stores had before compact layouts, so they stay up to date.
        return layout.isDefault() ? fingerprint : Fingerprint.of(fingerprint, layout.facts().toString());
    }

    public static void run(JobContext ctx) {
        DistilleryConfig cfg = ctx.config();
        String storePath = cfg.softTargets().path();
        StageOutput.checkWritable(ctx, storePath);
        String teacherPath = cfg.teacher().path();
        MultiLayerNetwork teacher = ModelArtifact.load(ctx.files(), teacherPath);
        String teacherHash = ModelArtifact.hash(ctx.files(), teacherPath);
        Dataset<Row> train = Inputs.train(ctx);
        int width = Inputs.featureWidth(ctx, train);
        checkTeacher(ctx, teacher, teacherPath, width);

        List<String> taps = cfg.softTargets().taps();
        List<String> partitionColumns = cfg.data().partitionColumns();
        StoreLayout layout = StoreLayout.of(cfg.softTargets());
        StructType schema = SoftTargetSchema.storeSchema(taps, train.schema(), partitionColumns, layout);
        Broadcast<byte[]> teacherZip = ctx.sc().broadcast(
                ctx.files().readBytes(teacherPath + "/" + ModelArtifact.MODEL_FILE));
        String fingerprint = fingerprint(ctx, teacherHash);
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(TEACHER_HASH, teacherHash);
        facts.put("num-classes", Integer.toString(cfg.data().numClasses()));
        facts.put("input-width", Integer.toString(width));
        facts.putAll(layout.facts()); // logits (dense | top-k), top-k, logit-precision, feature-precision
        facts.put("taps", String.join(",", taps));
        facts.put("partition-columns", String.join(",", partitionColumns));
        facts.put(Fingerprint.FACT, fingerprint);
        Provenance provenance = ctx.provenance(STAGE, List.of(
                        new Provenance.InputRef("teacher", teacherPath, teacherHash),
                        new Provenance.InputRef("train-data", cfg.data().train(),
                                ctx.files().contentHash(cfg.data().train()))), facts);
        long t0 = System.nanoTime();
        try (AtomicOutput out = AtomicOutput.begin(ctx.files(), storePath, ctx.overwrite())) {
            Dataset<Row> store = train.mapPartitions(new TeacherInference(teacherZip, teacherHash, taps,
                    cfg.softTargets().batchSize(), width, partitionColumns, layout), Encoders.row(schema));
            var writer = store.write().option("compression", "zstd");
            if (!partitionColumns.isEmpty()) {
                writer = writer.partitionBy(partitionColumns.toArray(new String[0]));
            }
            writer.parquet(out.path());
            ctx.files().writeProvenance(out.path(), provenance);
            out.commit();
        } finally {
            teacherZip.destroy();
        }
        LOG.info(String.format("soft-targets: store written to %s in %.1f s (%s, taps %s)", storePath,
                (System.nanoTime() - t0) / 1e9, layout, taps));
    }

    /** The teacher must fit the data: same class count, same input width, and every tap must name a layer. */
    private static void checkTeacher(JobContext ctx, MultiLayerNetwork teacher, String teacherPath, int width) {
        ConfigProblems problems = new ConfigProblems();
        long classes = teacher.getOutputLayer().getParam("b").length();
        problems.check(classes == ctx.config().data().numClasses(), "Teacher " + teacherPath + " has " + classes
                + " output classes but distillery.data.num-classes is " + ctx.config().data().numClasses() + ".");
        long teacherWidth = teacher.layerInputSize(0);
        boolean conv = !ctx.config().data().inputShape().isEmpty();
        problems.check(conv || teacherWidth == width, "Teacher " + teacherPath + " takes " + teacherWidth
                + " input features but the training data has " + width + ".");
        problems.throwIfAny();
        LogitsAndTaps.resolveTaps(teacher, ctx.config().softTargets().taps());
    }
}
