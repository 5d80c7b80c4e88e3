package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.SelfDistillSpec;
import io.distillery.model.ExitGraph;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
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

    static String fingerprint(JobContext ctx, boolean alone) {
        DistilleryConfig cfg = ctx.config();
        SelfDistillSpec spec = cfg.selfDistill();
        return Fingerprint.of(STAGE, Boolean.toString(alone), Long.toString(cfg.seed()), cfg.studentModel().toString(),
                Configs.render(cfg, "student.train"), spec.exits().toString(), Double.toString(spec.temperature()),
                Double.toString(alpha(spec, alone)), Double.toString(cfg.distill().labelledFraction()),
                Configs.render(cfg, "data"), ctx.files().contentHash(cfg.data().train()));
    }

    /** {@code 1 - 0.9} as 0.1, not 0.09999999999999998. */
    private static double rounded(double weight) {
        return Math.round(weight * 1e9) / 1e9;
    }

    /** Checks the exits against the student from the config alone, before any Spark job. */
    static void preflight(DistilleryConfig cfg) {
        Inputs.refuseStudentView(cfg, "self-distillation");  // no teacher to read the other view
        SelfDistillSpec spec = cfg.selfDistill();
        List<Integer> shape = cfg.data().inputShape();
        int width = shape.isEmpty() ? 1 : shape.stream().reduce(1, (a, b) -> a * b);
        ExitGraph.configuration(cfg.studentModel(), width, shape, Math.max(2, cfg.data().numClasses()), spec.exits(),
                spec.temperature(), spec.alpha(), cfg.seed());
    }

    public static void run(JobContext configured, boolean alone) {
        preflight(configured.config());
        SelfDistillSpec spec = configured.config().selfDistill();
        String name = alone ? STAGE + "-alone" : STAGE;
        String output = outputPath(spec, alone);
        StageOutput.checkWritable(configured, output);
        long t0 = System.nanoTime();
        Inputs.Fitted fitted = Inputs.fitTrain(configured);
        JobContext ctx = fitted.ctx();
        DistilleryConfig cfg = ctx.config();
        int classes = cfg.data().numClasses();
        Dataset<Row> rows = fitted.rows();
        int width = Inputs.featureWidth(ctx, rows);
        ComputationGraphConfiguration conf = ExitGraph.configuration(cfg.studentModel(), width,
                cfg.data().inputShape(), classes, spec.exits(), spec.temperature(), alpha(spec, alone), cfg.seed());
        ComputationGraph graph = ExitGraph.build(conf);
        Network net = Network.of(graph);
        RowLabels packing = RowLabels.partlyLabelled(classes, cfg.distill().labelledFraction(), cfg.seed());
        List<String> outputs = ExitGraph.outputs(spec.exits());
        int[] ranges = new int[2 * outputs.size()];
        for (int k = 0; k < outputs.size(); k++) {
            ranges[2 * k + 1] = classes;  // every output reads the one-hot label; the step adds the teacher
        }
        TrainedModel model = new TrainedModel(name, net.blueprint(), ranges, new int[0]);
        JavaRDD<TrainingBlock> blocks = TrainingBlocks.pack(Splits.training(ctx, rows),
                ctx.workers(cfg.student().train().workers()), width, packing);
        JavaRDD<TrainingBlock> heldOutBlocks = Splits.heldOut(ctx, rows, width);
        try {
            LOG.info("{}: {} parameters, exits {} on {}; labels {}; shallow exits: {} * ce + {} * kd(T={}) from the "
                            + "deepest; labelled fraction {}", name, graph.numParams(), outputs, spec.exits(),
                    packing.layout(), 1 - alpha(spec, alone), alpha(spec, alone), spec.temperature(),
                    cfg.distill().labelledFraction());
            Map<String, String> facts = TrainTeacherJob.modelFacts(name, classes, width, fingerprint(ctx, alone),
                    ctx.preparation());
            facts.put("exits", String.join(",", outputs));
            facts.put("loss", "output: ce; exits: " + rounded(1 - alpha(spec, alone)) + " * ce + "
                    + rounded(alpha(spec, alone)) + " * kd(T=" + spec.temperature() + ") from output");
            facts.put("labelled-fraction", Double.toString(cfg.distill().labelledFraction()));
            Provenance provenance = ctx.provenance(STAGE, List.of(new Provenance.InputRef("train-data",
                    cfg.data().train(), ctx.files().contentHash(cfg.data().train()))), facts);
            HeldOutAccuracy heldOut = Training.heldOut(ctx, heldOutBlocks);
            Network.Blueprint blueprint = net.blueprint();
            TrainingState end = Training.train(ctx, name, output, cfg.student().train(), blocks, List.of(model),
                    new SelfDistillationStep(), new TrainingState(Map.of(name, ModelState.of(net))),
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
