package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.SelfDistillSpec;
import io.distillery.model.ExitGraph;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
import io.distillery.store.TeacherTargets;
import io.distillery.train.EarlyStopping;
import io.distillery.train.HeldOutAccuracy;
import io.distillery.train.HistoryFile;
import io.distillery.train.ModelState;
import io.distillery.train.Network;
import io.distillery.train.RowLabels;
import io.distillery.train.SelfDistillationStep;
import io.distillery.train.TrainedModel;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code self-distill}: the student with exits ({@link ExitGraph}) trained on {@code data.train} by parameter
 * averaging, each minibatch's shallow exits taught by the deepest exit's current prediction
 * ({@link SelfDistillationStep}); with {@code alone}, the same exits on the labels only (alpha 0), for comparison.
 * The artifact is the whole multi-exit graph ({@code model.zip} of a {@code ComputationGraph}, outputs
 * {@code output, exit-<layer>...}), with each exit's held-out accuracy in its provenance, and each exit as a plain
 * network that stops there ({@code exits/<exit>/}, {@link ExitGraph#upTo}), which {@code evaluate} reads.
 */
public final class SelfDistillJob {
    static final String STAGE = "self-distill";
    private static final Logger LOG = LoggerFactory.getLogger(SelfDistillJob.class);

    private SelfDistillJob() {
    }

    /** The plain network of one exit inside the artifact at {@code path}: {@code <path>/exits/<exit>}. */
    static String exitPath(String path, String exit) {
        return (path.isEmpty() ? "" : path + "/") + "exits/" + exit;
    }

    static String outputPath(SelfDistillSpec spec, boolean alone) {
        return alone ? spec.alonePath() : spec.path();
    }

    static double alpha(SelfDistillSpec spec, boolean alone) {
        return alone ? 0.0 : spec.alpha();
    }

    /** Weight of the exits' feature hints: none in the comparison, where the deepest exit teaches nothing. */
    static double hintWeight(SelfDistillSpec spec, boolean alone) {
        return alone ? 0.0 : spec.hintWeight();
    }

    /** Whether this run's exits also learn from the teacher's store (never the {@code --alone} comparison). */
    static boolean fromStore(SelfDistillSpec spec, boolean alone) {
        return spec.teacher() && !alone;
    }

    static String fingerprint(JobContext ctx, boolean alone) {
        DistilleryConfig cfg = ctx.config();
        SelfDistillSpec spec = cfg.selfDistill();
        String input = fromStore(spec, alone)
                ? "store=" + DistillJob.checkStore(ctx, cfg.softTargets().path()).fact(Fingerprint.FACT)
                : ctx.files().dataIdentity(cfg.data().train());
        return Fingerprint.of(STAGE, Boolean.toString(alone), Long.toString(cfg.seed()), cfg.studentModel().toString(),
                Configs.render(cfg, "student.train"), spec.exits().toString(), Double.toString(spec.temperature()),
                Double.toString(alpha(spec, alone)), Double.toString(hintWeight(spec, alone)),
                Double.toString(cfg.distill().labelledFraction()), Configs.render(cfg, "data"), input);
    }

    /** The rows the exits train on, their labels and where they came from. */
    private record Source(JobContext ctx, Dataset<Row> rows, int width, RowLabels packing,
                          Provenance.InputRef input, String teacherHash) {
    }

    /** {@code data.train} (labels only), or the teacher's store ({@code [one-hot | teacher logits]}). */
    private static Source source(JobContext configured, boolean fromStore) {
        DistilleryConfig raw = configured.config();
        if (!fromStore) {
            Inputs.Fitted fitted = Inputs.fitTrain(configured);
            JobContext ctx = fitted.ctx();
            DistilleryConfig cfg = ctx.config();
            return new Source(ctx, fitted.rows(), Inputs.featureWidth(ctx, fitted.rows()),
                    RowLabels.partlyLabelled(cfg.data().numClasses(), cfg.distill().labelledFraction(), cfg.seed()),
                    new Provenance.InputRef("train-data", raw.data().train(),
                            ctx.files().dataIdentity(raw.data().train())), null);
        }
        String storePath = raw.softTargets().path();
        Provenance store = DistillJob.checkStore(configured, storePath);
        JobContext ctx = configured.prepared(DistillJob.storePreparation(configured, store, storePath));
        DistilleryConfig cfg = ctx.config();
        int classes = cfg.data().numClasses();
        TeacherTargets teacher = SoftTargetStore.teacherTargets(store, storePath, classes, cfg.distill(), false);
        return new Source(ctx, SoftTargetStore.read(ctx, storePath, teacher, List.of()),
                Integer.parseInt(store.fact("input-width")),
                RowLabels.distillation(classes, cfg.distill().labelledFraction(), cfg.seed(), teacher),
                new Provenance.InputRef("store", storePath, store.fact(Fingerprint.FACT)),
                store.fact(SoftTargetsJob.TEACHER_HASH));
    }

    /** {@code 1 - 0.9} as 0.1, not 0.09999999999999998. */
    private static double rounded(double weight) {
        return Math.round(weight * 1e9) / 1e9;
    }

    /** Each exit's objective, for the log and provenance. */
    static String loss(DistilleryConfig cfg, boolean alone) {
        SelfDistillSpec spec = cfg.selfDistill();
        String ce = rounded(1 - alpha(spec, alone)) + " * ce + " + rounded(alpha(spec, alone)) + " * ";
        String kd = "kd(T=" + spec.temperature() + ")";
        String hint = hintWeight(spec, alone) > 0 ? " + " + rounded(spec.hintWeight()) + " * hint(exit -> "
                + ExitGraph.hintTarget(cfg.studentModel()) + ")" : "";
        return fromStore(spec, alone)
                ? "output: " + ce + kd + " from the teacher; exits: " + ce + "mean(" + kd + " from output, " + kd
                + " from the teacher)" + hint
                : "output: ce; exits: " + ce + kd + " from output" + hint;
    }

    /** Checks the exits against the student from the config alone, before any Spark job. */
    static void preflight(DistilleryConfig cfg) {
        Inputs.refuseStudentView(cfg, "self-distillation");  // no teacher to read the other view
        SelfDistillSpec spec = cfg.selfDistill();
        List<Integer> shape = cfg.data().inputShape();
        int width = shape.isEmpty() ? 1 : shape.stream().reduce(1, (a, b) -> a * b);
        ExitGraph.configuration(cfg.studentModel(), width, shape, Math.max(2, cfg.data().numClasses()), spec.exits(),
                spec.temperature(), spec.alpha(), spec.teacher(), spec.hintWeight(), cfg.seed());
    }

    public static void run(JobContext configured, boolean alone) {
        preflight(configured.config());
        SelfDistillSpec spec = configured.config().selfDistill();
        String name = alone ? STAGE + "-alone" : STAGE;
        String output = outputPath(spec, alone);
        StageOutput.checkWritable(configured, output);
        long t0 = System.nanoTime();
        boolean fromStore = fromStore(spec, alone);
        Source source = source(configured, fromStore);
        JobContext ctx = source.ctx();
        DistilleryConfig cfg = ctx.config();
        int classes = cfg.data().numClasses();
        Dataset<Row> rows = source.rows();
        int width = source.width();
        ComputationGraphConfiguration conf = ExitGraph.configuration(cfg.studentModel(), width,
                cfg.data().inputShape(), classes, spec.exits(), spec.temperature(), alpha(spec, alone), fromStore,
                hintWeight(spec, alone), cfg.seed());
        ComputationGraph graph = ExitGraph.build(conf);
        Network net = Network.of(graph);
        RowLabels packing = source.packing();
        List<String> outputs = ExitGraph.outputs(spec.exits());
        int trainedOutputs = graph.getConfiguration().getNetworkOutputs().size();  // the classifiers, then hints
        int[] ranges = new int[2 * trainedOutputs];
        for (int k = 0; k < trainedOutputs; k++) {
            // Every output reads the packed labels (one-hot, and the teacher's logits from a store); the step adds
            // the deepest exit's prediction for the shallow ones and puts the hints' targets in place of theirs.
            ranges[2 * k + 1] = packing.width();
        }
        TrainedModel model = new TrainedModel(name, net.blueprint(), ranges, new int[0]);
        TrainingBlocks blocks = TrainingBlocks.pack(Splits.training(ctx, rows),
                ctx.workers(cfg.student().train().workers()), width, packing, cfg.student().train().blockMb());
        TrainingBlocks heldOutBlocks = Splits.heldOut(ctx, rows, width, cfg.student().train().blockMb());
        try {
            LOG.info("{}: {} parameters, exits {} on {}; labels {}; {}; labelled fraction {}", name,
                    graph.numParams(), outputs, spec.exits(), packing.layout(), loss(cfg, alone),
                    cfg.distill().labelledFraction());
            Map<String, String> facts = TrainTeacherJob.modelFacts(name, classes, width, fingerprint(ctx, alone),
                    ctx.preparation());
            facts.put("exits", String.join(",", outputs));
            facts.put("loss", loss(cfg, alone));
            facts.put("labelled-fraction", Double.toString(cfg.distill().labelledFraction()));
            if (source.teacherHash() != null) {
                facts.put(SoftTargetsJob.TEACHER_HASH, source.teacherHash());
            }
            Provenance provenance = ctx.provenance(STAGE, List.of(source.input()), facts);
            HeldOutAccuracy heldOut = Training.heldOut(ctx, heldOutBlocks);
            Network.Blueprint blueprint = net.blueprint();
            TrainingState end = Training.train(ctx, name, output, cfg.student().train(), blocks, List.of(model),
                    new SelfDistillationStep(fromStore, outputs.size(),
                            hintWeight(spec, alone) > 0 ? ExitGraph.hintTarget(cfg.studentModel()) : null),
                    new TrainingState(Map.of(name, ModelState.of(net))),
                    m -> heldOut.of(blueprint, m.getValue()), provenance, List.of());
            ModelState best = EarlyStopping.best(end, name);
            best.applyTo(net);
            Provenance done = Training.withEpochs(ctx, provenance, end, name);
            List<String> accuracies = new ArrayList<>();
            for (int k = 0; k < outputs.size(); k++) {
                double a = heldOut.of(blueprint, best.withoutUpdater(), k);
                accuracies.add(String.format(Locale.ROOT, "%s=%.4f", outputs.get(k), a));
            }
            done = done.withFact("held-out-accuracy-by-exit", String.join(",", accuracies));
            graph.getConfiguration().setEpochCount(end.epoch());
            try (AtomicOutput out = AtomicOutput.begin(ctx.files(), output, ctx.overwrite())) {
                ModelArtifact.write(ctx.files(), graph, out.path(), done);
                HistoryFile.write(ctx.files(), out.path(), name, end);
                for (String exit : outputs) {
                    // Each exit also as a plain network that stops there: what evaluate and a deployment run.
                    MultiLayerNetwork upTo = ExitGraph.upTo(graph, exit, cfg.studentModel(), width,
                            cfg.data().inputShape(), classes, new LossMCXENT(), cfg.seed());
                    String dir = out.path() + "/" + exitPath("", exit);
                    ModelArtifact.write(ctx.files(), upTo, dir, done.withFact("role", name + "/" + exit));
                    // The exits train together: each exit's history is the graph's (its held-out accuracy is
                    // the deepest output's).
                    HistoryFile.write(ctx.files(), dir, name, end);
                    ctx.files().writeText(dir + "/" + ArtifactFiles.SUCCESS, "");
                }
                out.commit();
            }
            Training.checkpoints(ctx, output).clear();
            LOG.info(String.format(Locale.ROOT, "%s: trained and saved to %s in %.1f s; held-out accuracy by exit: %s",
                    name, output, (System.nanoTime() - t0) / 1e9, String.join(", ", accuracies)));
        } finally {
            blocks.unpersist();
            heldOutBlocks.unpersist();
        }
    }
}
