package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistillSpec;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.MissingMass;
import io.distillery.config.RoleSpec;
import io.distillery.data.FeatureScaling;
import io.distillery.data.InputPreparation;
import io.distillery.loss.CompositeLoss;
import io.distillery.loss.DistillationLoss;
import io.distillery.loss.FeatureTerm;
import io.distillery.loss.Objective;
import io.distillery.model.ModelArtifact;
import io.distillery.model.ModelFactory;
import io.distillery.model.TrainingGraph;
import io.distillery.provenance.Provenance;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.TeacherTargets;
import io.distillery.train.LabelLayout;
import io.distillery.train.Network;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code distill}: trains the student from the soft-target store with the Hinton loss
 * ({@code alpha * T^2 * KL(p_teacher^T || p_student^T) + (1 - alpha) * CE(label, p_student)}), or the weighted
 * terms of {@code distill.loss}, by parameter averaging, streaming minibatches from the store's partitions.
 * With {@code baseline = true} it trains the same student, from the same seed, on the labelled rows of the same
 * store only (the rows the student sees labelled, repeated so that an epoch is about as long as the student's:
 * {@link Splits#baselineRows}) with the hard-label loss, on the schedule of {@code baseline.train}: the student
 * without a teacher, for comparison, each of its minibatches full of labels rather than mostly rows it cannot learn
 * from.
 *
 * <p>When {@code distill.loss} has feature- or relation-based terms ({@code hint}, {@code attention},
 * {@code similarity}, {@code rkd}), the student is trained as a {@link TrainingGraph} (its layers plus one auxiliary
 * head per term, labelled with the store's {@code tap_<layer>} columns) by the same parameter averaging, and the
 * plain student is exported from it. Layer names, taps and shapes are checked before any Spark job trains.
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
        // The baseline trains on the labelled rows only ("labelled-rows"), on its own schedule.
        return Fingerprint.of(STAGE, baseline ? "true+labelled-rows" : "false", Long.toString(cfg.seed()),
                storeFingerprint, cfg.studentModel().toString(),
                Configs.render(cfg, baseline ? "baseline.train" : "student.train"),
                temperature, Double.toString(alpha(cfg, baseline)),
                baseline ? "-" : Configs.render(cfg, "distill.loss"),
                Double.toString(cfg.distill().labelledFraction()), Configs.render(cfg, "data"))
                // A top-k store's missing mass changes the targets; the default keeps older fingerprints valid.
                + (baseline || cfg.distill().missingMass() == MissingMass.UNIFORM ? ""
                : "+missing-mass=" + cfg.distill().missingMass().configName());
    }

    public static void run(JobContext configured, boolean baseline) {
        String name = baseline ? "baseline" : "student";
        String output = outputPath(configured.config(), baseline);
        StageOutput.checkWritable(configured, output);
        String storePath = configured.config().softTargets().path();
        Provenance store = checkStore(configured, storePath);
        // The store's features are already scaled; its preparation scales the held-out rows and goes to the model.
        JobContext ctx = configured.prepared(storePreparation(configured, store, storePath));
        DistilleryConfig cfg = ctx.config();
        TeacherTargets teacher = SoftTargetStore.teacherTargets(store, storePath, cfg.data().numClasses(),
                cfg.distill(), baseline);
        RoleSpec role = new RoleSpec(output, cfg.studentModel(),
                baseline ? cfg.baseline().train() : cfg.student().train());
        StudentPlan plan = plan(ctx, baseline, role, store, teacher);

        Dataset<Row> rows = SoftTargetStore.read(ctx, storePath, teacher, plan.tapColumns());
        int width = Integer.parseInt(store.fact("input-width"));
        String fingerprint = fingerprint(ctx, baseline, store.fact(Fingerprint.FACT));
        Map<String, String> facts = TrainTeacherJob.modelFacts(name, cfg.data().numClasses(), width, fingerprint,
                ctx.preparation());
        facts.put(SoftTargetsJob.TEACHER_HASH, store.fact(SoftTargetsJob.TEACHER_HASH));
        if (cfg.data().hasStudentView()) {
            // evaluate reads this model's inputs from the view named here, not from the teacher's features.
            facts.put(StoreWidths.STUDENT_FEATURES, cfg.data().studentViewName());
        }
        if (baseline) {
            facts.put("trained-on", "the labelled rows only, " + Splits.baselinePasses(
                    cfg.distill().labelledFraction()) + " passes over them per epoch");
        }
        List<Provenance.InputRef> inputs = List.of(new Provenance.InputRef("store", storePath,
                store.fact(Fingerprint.FACT)));
        trainAndSave(ctx, name, baseline, role, plan, rows, width, inputs, facts);
    }

    /**
     * Trains {@code plan} on {@code rows} (a store's, or several stores' combined) and saves the exported model at
     * {@code role.path()} with the run's provenance.
     *
     * @param baseline whether this is the student alone (then it trains on the labelled rows only)
     * @param facts    the model's facts so far; the loss and the labelled fraction are added
     */
    static void trainAndSave(JobContext ctx, String name, boolean baseline, RoleSpec role, StudentPlan plan,
                             Dataset<Row> rows, int width, List<Provenance.InputRef> inputs,
                             Map<String, String> facts) {
        DistilleryConfig cfg = ctx.config();
        long t0 = System.nanoTime();
        Dataset<Row> trainRows = baseline ? Splits.baselineRows(ctx, Splits.training(ctx, rows))
                : Splits.training(ctx, rows);
        TrainingBlocks trainBlocks = TrainingBlocks.pack(trainRows,
                ctx.workers(role.train().workers()), width, plan.rows(), role.train().blockMb());
        // A named validation or test set is read as the student reads it (its own view, when cross-modal).
        TrainingBlocks testBlocks = Splits.heldOut(ctx, rows, width, true, role.train().blockMb());
        LOG.info("{}: {} parameters ({} while training); labels {}; loss = {}; labelled fraction {}{}", name,
                plan.exported().numParams(), plan.trained().numParams(), plan.layout(), plan.formula(),
                cfg.distill().labelledFraction(), baseline && cfg.distill().labelledFraction() < 1.0
                        ? "; trains on the labelled rows only, " + Splits.baselinePasses(cfg.distill()
                        .labelledFraction()) + " passes over them per epoch" : "");
        facts.put("loss", plan.formula());
        facts.put("labelled-fraction", Double.toString(cfg.distill().labelledFraction()));
        Provenance provenance = ctx.provenance(STAGE, inputs, facts);
        Training.Trained trained = Training.trainOne(ctx, name, role, trainBlocks, testBlocks, plan, provenance);
        Training.save(ctx, trained, role.path());
        Training.checkpoints(ctx, role.path()).clear();
        trainBlocks.unpersist();
        testBlocks.unpersist();
        LOG.info(String.format("%s: trained and saved to %s in %.1f s", name, role.path(),
                (System.nanoTime() - t0) / 1e9));
    }

    /**
     * The student as it is trained. With feature terms, a {@link TrainingGraph}: the terms' layers validated against
     * the student and the store's taps (shapes from the teacher's configuration), the taps packed as extra label
     * ranges (each distinct tap once) and each head reading its tap's range; the plain student is exported from
     * it. Otherwise the plain student, its labels {@code [one-hot | teacher logits]}.
     */
    static StudentPlan plan(JobContext ctx, boolean baseline, RoleSpec role, Provenance store,
                            TeacherTargets teacher) {
        return plan(ctx, baseline, role, store, teacher, 1, null);
    }

    /**
     * As {@link #plan(JobContext, boolean, RoleSpec, Provenance, TeacherTargets)}, for rows that several teachers'
     * stores were combined into (multi-teacher): the labels carry the logits of {@code teachers} teachers side by
     * side ({@code per-teacher-loss}; with more than one the objective is a {@link CompositeLoss}, the Hinton loss
     * as {@link CompositeLoss#hinton}, which takes each response term once per teacher), and the feature terms'
     * taps have the given shapes instead of those of {@code store}'s teacher.
     *
     * @param tapShapes shapes of the taps the rows carry, by the name the terms give them; null: {@code store}'s
     */
    static StudentPlan plan(JobContext ctx, boolean baseline, RoleSpec role, Provenance store,
                            TeacherTargets teacher, int teachers, Map<String, int[]> tapShapes) {
        DistilleryConfig cfg = ctx.config();
        int width = Integer.parseInt(store.fact("input-width"));
        int classes = cfg.data().numClasses();
        // The student's input shape: flat for a cross-modal view (data.input-shape describes the teacher's features).
        List<Integer> shape = cfg.data().studentInputShape();
        DistillSpec d = cfg.distill();
        Objective terms = terms(d, baseline);
        RowLabels response = RowLabels.distillation(classes, d.labelledFraction(), cfg.seed(), teacher, teachers);
        if (terms == null || terms.features().isEmpty()) {
            ILossFunction loss = terms != null ? terms.response() : teachers > 1
                    ? CompositeLoss.hinton(d.temperature(), d.alpha()) : objective(d, baseline, classes);
            MultiLayerNetwork net = ModelFactory.build(role.model(), width, shape, classes, loss, cfg.seed());
            return StudentPlan.plain(net, response, terms == null ? formula(loss) : terms.formula());
        }
        if (role.train().backend().equals("dl4j")) {
            throw new DistilleryException("Key distillery.student.train.backend is 'dl4j', which trains plain "
                    + "networks only; the feature terms in distillery.distill.loss need 'distillery'.");
        }
        Map<String, int[]> shapes = tapShapes != null ? tapShapes : tapShapes(ctx, store);
        ComputationGraphConfiguration graphConf = TrainingGraph.configuration(role.model(), width, shape, classes,
                terms, shapes, cfg.seed());
        List<String> taps = new ArrayList<>();
        for (FeatureTerm t : terms.features()) {
            if (!taps.contains(t.teacherLayer())) {
                taps.add(t.teacherLayer());
            }
        }
        List<String> tapColumns = taps.stream().map(SoftTargetSchema::tapColumn).toList();
        int[] tapWidths = taps.stream().mapToInt(t -> Arrays.stream(shapes.get(t)).reduce(1, (a, b) -> a * b))
                .toArray();
        RowLabels rows = RowLabels.withTaps(response, tapColumns, tapWidths, teacher.layout().featurePrecision());
        List<String[]> outputs = new ArrayList<>();
        outputs.add(new String[]{LabelLayout.ONE_HOT, LabelLayout.TEACHER});
        for (FeatureTerm t : terms.features()) {
            String column = SoftTargetSchema.tapColumn(t.teacherLayer());
            outputs.add(new String[]{column, column});
        }
        MultiLayerNetwork student = ModelFactory.build(role.model(), width, shape, classes, terms.response(),
                cfg.seed());
        ComputationGraph graph = TrainingGraph.build(graphConf, student);
        return new StudentPlan(Network.of(graph), student, rows, outputs, tapColumns, terms.formula());
    }

    /**
     * Checks {@code distill.loss} from the config alone, before {@code run} starts its first stage: term names and
     * parameters, and for feature terms the student layers, the taps ({@code soft-targets.taps}) and the shapes,
     * taken from the teacher's declared layers. {@code distill} checks again against the store and the trained
     * teacher.
     */
    static void preflight(DistilleryConfig cfg) {
        Objective terms = terms(cfg.distill(), false);
        if (terms == null || terms.features().isEmpty()) {
            return;
        }
        if (cfg.student().train().backend().equals("dl4j")) {
            throw new DistilleryException("Key distillery.student.train.backend is 'dl4j', which trains plain "
                    + "networks only; the feature terms in distillery.distill.loss need 'distillery'.");
        }
        List<Integer> shape = cfg.data().inputShape();
        int width = shape.isEmpty() ? 1 : shape.stream().reduce(1, (a, b) -> a * b);
        Map<String, int[]> all = TrainingGraph.layerShapes(ModelFactory.configuration(cfg.teacher().model(), width,
                shape, cfg.data().numClasses(), terms.response(), cfg.seed()), width, shape);
        Map<String, int[]> taps = new LinkedHashMap<>();
        for (String tap : cfg.softTargets().taps()) {
            if (all.containsKey(tap)) {
                taps.put(tap, all.get(tap));
            }
        }
        List<Integer> studentShape = cfg.data().studentInputShape();
        int studentWidth = studentShape.isEmpty() ? 1 : studentShape.stream().reduce(1, (a, b) -> a * b);
        TrainingGraph.configuration(cfg.studentModel(), studentWidth, studentShape, cfg.data().numClasses(), terms,
                taps, cfg.seed());
    }

    /**
     * Shapes of the store's tapped teacher layers, from the teacher's configuration ({@code [width]} or
     * {@code [channels, height, width]}); the store's flattened columns carry no shape. The teacher's input width
     * is the store's, or {@code teacher-input-width} for a cross-modal store, whose features are the student's.
     */
    static Map<String, int[]> tapShapes(JobContext ctx, Provenance store) {
        DistilleryConfig cfg = ctx.config();
        String teacherWidth = store.fact(StoreWidths.TEACHER_INPUT_WIDTH);
        int inputWidth = Integer.parseInt(teacherWidth != null ? teacherWidth : store.fact("input-width"));
        String listed = store.fact("taps");
        List<String> taps = listed == null || listed.isBlank() ? List.of() : List.of(listed.split(","));
        Map<String, int[]> all = TeacherArtifact.isOnnx(cfg.teacher().path())
                ? OnnxTeacher.outputShapes(ctx, cfg.teacher().path())
                : TrainingGraph.layerShapes(ModelArtifact.load(ctx.files(), cfg.teacher().path())
                .getLayerWiseConfigurations(), inputWidth, cfg.data().inputShape());
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (String tap : taps) {
            shapes.put(tap, all.get(tap));
        }
        return shapes;
    }

    /**
     * The configured terms ({@code distill.loss}) as an {@link Objective}, or null when the run uses the Hinton
     * loss (an empty list, or the baseline). Built before any Spark work, so an unknown term fails fast.
     */
    static Objective terms(DistillSpec d, boolean baseline) {
        if (baseline || d.loss().isEmpty()) {
            return null;
        }
        List<Objective.Entry> entries = new ArrayList<>();
        for (DistillSpec.LossTermConfig t : d.loss()) {
            entries.add(new Objective.Entry(t.term(), t.weight(), t.params()));
        }
        return Objective.of(entries);
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

    /** How the store's rows were prepared (its teacher's class names and scaling), checked against the config. */
    static InputPreparation storePreparation(JobContext ctx, Provenance store, String storePath) {
        InputPreparation p = InputPreparation.fromFacts(store, storePath, "the soft-target store at " + storePath,
                ctx.config().data().numClasses());
        Inputs.checkScalingConfigured(ctx, p.scaling(), "soft-target store " + storePath);
        return p;
    }

    /**
     * The store must be committed, made by the configured teacher (and so with its feature scaling), for the
     * configured class count.
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
        if (!TeacherArtifact.exists(ctx.files(), teacherPath)) {
            problems.add("Teacher " + teacherPath + " (distillery.teacher.path) does not exist, so the store's "
                    + "teacher cannot be verified.");
        } else {
            checkSameScaling(ctx, store, storePath, teacherPath);
            String teacherHash = TeacherArtifact.hash(ctx.files(), teacherPath);
            problems.check(teacherHash.equals(store.fact(SoftTargetsJob.TEACHER_HASH)),
                    "Soft-target store " + storePath + " was made by teacher " + store.fact(SoftTargetsJob.TEACHER_HASH)
                            + ", not by the configured teacher " + teacherPath + " (" + teacherHash + ").");
        }
        String storedView = store.fact(StoreWidths.STUDENT_FEATURES);
        String view = cfg.data().studentViewName();
        problems.check(view.equals(storedView == null ? "" : storedView), "Soft-target store " + storePath
                + " holds as its features " + (storedView == null ? "the teacher's features"
                : "the student view '" + storedView + "' (fact student-features)") + " but the config names "
                + (view.isEmpty() ? "no student view" : "the student view '" + view + "'")
                + " (distillery.data.student-features-column / student-feature-columns); run soft-targets again.");
        problems.check(cfg.data().numClasses() == 0
                        || Integer.toString(cfg.data().numClasses()).equals(store.fact("num-classes")),
                "Soft-target store " + storePath + " has num-classes = " + store.fact("num-classes")
                        + " but distillery.data.num-classes is " + cfg.data().numClasses() + ".");
        problems.throwIfAny();
        return store;
    }

    /**
     * A store whose features were scaled with other statistics than the configured teacher's is refused on its
     * own, before the teacher-hash check, because it names the cause: the teacher was retrained with other
     * statistics (or another kind of scaling) since the store was made.
     */
    private static void checkSameScaling(JobContext ctx, Provenance store, String storePath, String teacherPath) {
        FeatureScaling stored = FeatureScaling.fromFacts(store, storePath);
        FeatureScaling teacher = TeacherArtifact.scaling(ctx.files(), teacherPath);
        if (!stored.sameAs(teacher)) {
            throw new DistilleryException("Soft-target store " + storePath + " holds features scaled with "
                    + stored.describe() + " but the configured teacher " + teacherPath + " was trained with "
                    + teacher.describe() + "; run soft-targets again for this teacher.");
        }
    }
}
