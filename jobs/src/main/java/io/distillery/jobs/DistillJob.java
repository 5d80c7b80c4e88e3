package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistillSpec;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.MissingMass;
import io.distillery.config.RoleSpec;
import io.distillery.loss.CompositeLoss;
import io.distillery.loss.DistillationLoss;
import io.distillery.model.ModelArtifact;
import io.distillery.model.ModelFactory;
import io.distillery.provenance.Provenance;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.TeacherTargets;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * {@code distill}: trains the student from the soft-target store with the Hinton loss
 * ({@code alpha * T^2 * KL(p_teacher^T || p_student^T) + (1 - alpha) * CE(label, p_student)}), or the weighted
 * terms of {@code distill.loss}, by parameter averaging, streaming minibatches from the store's partitions.
 * With {@code baseline = true} it trains the same student, from the same seed, on the same minibatches of the same store, with {@code alpha = 0}: the student
 * without a teacher, for comparison.
 */
public final class DistillJob {
    static final String STAGE = "distill";
    private static final Logger LOG = LoggerFactory.getLogger(DistillJob.class);

    private DistillJob() {
    }

    static String outputPath(DistilleryConfig cfg, boolean baseline) {
        return baseline ? cfg.baselinePath() : cfg.student().path();
    }

    static double alpha(DistilleryConfig cfg, boolean baseline) {
        return baseline ? 0.0 : cfg.distill().alpha();
    }

    static String fingerprint(JobContext ctx, boolean baseline, String storeFingerprint) {
        DistilleryConfig cfg = ctx.config();
        // The temperature does not change an alpha = 0 objective, so it does not invalidate the baseline.
        String temperature = baseline ? "-" : Double.toString(cfg.distill().temperature());
        return Fingerprint.of(STAGE, Boolean.toString(baseline), Long.toString(cfg.seed()), storeFingerprint,
                cfg.studentModel().toString(), Configs.render(cfg, "student.train"),
                temperature, Double.toString(alpha(cfg, baseline)), baseline ? "-" : Configs.render(cfg, "distill.loss"),
                Double.toString(cfg.distill().labelledFraction()), Configs.render(cfg, "data"))
                // A top-k store's missing mass changes the targets; the default keeps older fingerprints valid.
                + (baseline || cfg.distill().missingMass() == MissingMass.UNIFORM ? ""
                : "+missing-mass=" + cfg.distill().missingMass().configName());
    }

    public static void run(JobContext ctx, boolean baseline) {
        DistilleryConfig cfg = ctx.config();
        String name = baseline ? "baseline" : "student";
        String output = outputPath(cfg, baseline);
        StageOutput.checkWritable(ctx, output);
        ILossFunction loss = objective(cfg.distill(), baseline, cfg.data().numClasses());
        String storePath = cfg.softTargets().path();
        Provenance store = checkStore(ctx, storePath);
        TeacherTargets teacher = SoftTargetStore.teacherTargets(store, storePath, cfg.data().numClasses(),
                cfg.distill(), baseline);
        Dataset<Row> rows = readStore(ctx, storePath, teacher);
        Dataset<Row> test = Inputs.test(ctx);
        int width = Integer.parseInt(store.fact("input-width"));
        int classes = cfg.data().numClasses();
        DistillSpec d = cfg.distill();
        RoleSpec role = new RoleSpec(output, cfg.studentModel(), cfg.student().train());

        JavaRDD<TrainingBlock> trainBlocks = TrainingBlocks.pack(rows, ctx.workers(role.train().workers()), width,
                RowLabels.distillation(classes, d.labelledFraction(), cfg.seed(), teacher));
        JavaRDD<TrainingBlock> testBlocks = TrainingBlocks.pack(test, ctx.workers(0), width, RowLabels.oneHot(classes));
        MultiLayerNetwork net = ModelFactory.build(role.model(), width, cfg.data().inputShape(), classes, loss,
                cfg.seed());
        LOG.info("{}: {} parameters; loss = {}; labelled fraction {}", name, net.numParams(), formula(loss),
                d.labelledFraction());

        String fingerprint = fingerprint(ctx, baseline, store.fact(Fingerprint.FACT));
        Map<String, String> facts = TrainTeacherJob.modelFacts(name, classes, width, fingerprint);
        facts.put(SoftTargetsJob.TEACHER_HASH, store.fact(SoftTargetsJob.TEACHER_HASH));
        facts.put("loss", formula(loss));
        facts.put("labelled-fraction", Double.toString(d.labelledFraction()));
        Provenance provenance = ctx.provenance(STAGE,
                List.of(new Provenance.InputRef("store", storePath, store.fact(Fingerprint.FACT))), facts);
        MultiLayerNetwork trained = Training.train(ctx, name, role, trainBlocks, testBlocks, net, provenance);
        ModelArtifact.save(ctx.files(), trained, output, provenance, ctx.overwrite());
        Training.checkpoints(ctx, output).clear();
        trainBlocks.unpersist();
        testBlocks.unpersist();
        LOG.info("{}: saved to {}", name, output);
    }

    /**
     * The student's objective: the configured weighted terms ({@code distill.loss}), else the Hinton loss; the
     * baseline's is always the hard-label term alone. Built before any Spark work, so an unknown term fails fast.
     */
    static ILossFunction objective(DistillSpec d, boolean baseline, int classes) {
        if (baseline || d.loss().isEmpty()) {
            return new DistillationLoss(d.temperature(), baseline ? 0.0 : d.alpha(), classes);
        }
        CompositeLoss.Builder builder = CompositeLoss.builder();
        for (DistillSpec.LossTermConfig t : d.loss()) {
            builder.add(t.weight(), t.term(), t.params());
        }
        return builder.build();
    }

    /** The objective as a readable formula, for the log and provenance. */
    static String formula(ILossFunction loss) {
        if (loss instanceof CompositeLoss c) {
            return c.formula();
        }
        DistillationLoss h = (DistillationLoss) loss;
        return h.getAlpha() + " * T^2 * KL(teacher_T || student_T) + " + (1 - h.getAlpha())
                + " * CE(label, student), T = " + h.getTemperature();
    }

    /**
     * The store must be committed, made by the configured teacher, for the configured class count.
     *
     * @return the store's provenance
     */
    static Provenance checkStore(JobContext ctx, String storePath) {
        DistilleryConfig cfg = ctx.config();
        if (!ctx.files().isCommitted(storePath)) {
            throw new DistilleryException("Soft-target store " + storePath
                    + " does not exist or was not committed (no _SUCCESS); run soft-targets first.");
        }
        Provenance store = ctx.files().readProvenance(storePath);
        ConfigProblems problems = new ConfigProblems();
        String teacherPath = cfg.teacher().path();
        if (!ctx.files().exists(teacherPath + "/" + ModelArtifact.MODEL_FILE)) {
            problems.add("Teacher " + teacherPath + " (distillery.teacher.path) does not exist, so the store's "
                    + "teacher cannot be verified.");
        } else {
            String teacherHash = ModelArtifact.hash(ctx.files(), teacherPath);
            problems.check(teacherHash.equals(store.fact(SoftTargetsJob.TEACHER_HASH)),
                    "Soft-target store " + storePath + " was made by teacher " + store.fact(SoftTargetsJob.TEACHER_HASH)
                            + ", not by the configured teacher " + teacherPath + " (" + teacherHash + ").");
        }
        problems.check(Integer.toString(cfg.data().numClasses()).equals(store.fact("num-classes")),
                "Soft-target store " + storePath + " has num-classes = " + store.fact("num-classes")
                        + " but distillery.data.num-classes is " + cfg.data().numClasses() + ".");
        problems.throwIfAny();
        return store;
    }

    /** The training columns (id, label, features, the teacher's columns for the store's layout), checked. */
    private static Dataset<Row> readStore(JobContext ctx, String storePath, TeacherTargets teacher) {
        Dataset<Row> rows;
        try {
            rows = ctx.spark().read().option("pathGlobFilter", "*.parquet").parquet(storePath);
        } catch (Exception e) {
            throw new DistilleryException("Soft-target store " + storePath + " cannot be read: " + e.getMessage(), e);
        }
        List<String> columns = new java.util.ArrayList<>(List.of(SoftTargetSchema.ID, SoftTargetSchema.LABEL,
                SoftTargetSchema.FEATURES));
        columns.addAll(teacher.columns());
        ConfigProblems problems = new ConfigProblems();
        SoftTargetSchema.checkStoreColumns(rows.schema(), columns, teacher.layout(), storePath, problems);
        problems.throwIfAny();
        Dataset<Row> selected = rows.select(columns.stream().map(org.apache.spark.sql.Column::new)
                .toArray(org.apache.spark.sql.Column[]::new));
        SoftTargetStore.checkValues(selected, storePath, teacher, ctx.config().data().numClasses());
        return selected;
    }
}
