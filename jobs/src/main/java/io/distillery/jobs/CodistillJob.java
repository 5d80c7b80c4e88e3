package io.distillery.jobs;

import io.distillery.config.CodistillSpec;
import io.distillery.config.ConfigProblems;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.loss.CoDistillationLoss;
import io.distillery.loss.TermSpec;
import io.distillery.model.ModelArtifact;
import io.distillery.model.ModelFactory;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
import io.distillery.store.TeacherTargets;
import io.distillery.train.CoDistillationStep;
import io.distillery.train.EarlyStopping;
import io.distillery.train.HeldOutAccuracy;
import io.distillery.train.HistoryFile;
import io.distillery.train.LabelLayout;
import io.distillery.train.ModelState;
import io.distillery.train.Network;
import io.distillery.train.RowLabels;
import io.distillery.train.SnapshotExchange;
import io.distillery.train.TrainedModel;
import io.distillery.train.BlockLayout;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code codistill}: co-distillation (Anil et al. 2018) and deep mutual learning (Zhang et al. 2018). The K models
 * of {@code codistill.models} train together on the round loop, each averaged over its own workers; every
 * {@code exchange-period} rounds after the burn-in their current parameters become the frozen snapshots that the
 * others run on each minibatch, on the executors, to make their peer targets ({@link CoDistillationStep}). Each
 * model's objective is {@code ce} on the labelled rows, plus optionally {@code kd} towards the store's teacher, plus
 * the peer term ({@link CoDistillationLoss}).
 *
 * <p>Output, committed atomically as one directory: one model artifact per model ({@code <path>/<name>}), the
 * schedule as it happened ({@code schedule.tsv}: round, model, the snapshots it learnt from and their weight; after a
 * {@code --resume}, the rounds this run trained) and the run's provenance. Everything in the config is checked
 * before any Spark job starts.
 */
public final class CodistillJob {
    static final String STAGE = "codistill";
    /** The exchange schedule inside the output directory. */
    public static final String SCHEDULE_FILE = "schedule.tsv";
    private static final Logger LOG = LoggerFactory.getLogger(CodistillJob.class);

    private CodistillJob() {
    }

    static String fingerprint(JobContext ctx) {
        DistilleryConfig cfg = ctx.config();
        CodistillSpec c = cfg.codistill();
        String teacher = c.usesTeacher()
                ? DistillJob.checkStore(ctx, cfg.softTargets().path()).fact(Fingerprint.FACT)
                : ctx.files().dataIdentity(cfg.data().train());
        return Fingerprint.of(STAGE, Long.toString(cfg.seed()), Configs.render(cfg, "codistill"),
                Configs.render(cfg, "data"), Double.toString(cfg.distill().labelledFraction()), teacher);
    }

    /** The artifact path of each model, by name, in declaration order (what {@code evaluate} reads). */
    static Map<String, String> modelPaths(CodistillSpec c) {
        Map<String, String> paths = new LinkedHashMap<>();
        for (String name : c.names()) {
            paths.put(name, c.modelPath(name));
        }
        return paths;
    }

    public static void run(JobContext configured) {
        Inputs.refuseStudentView(configured.config(), "codistill");
        CodistillSpec c = configured.config().codistill();
        StageOutput.checkWritable(configured, c.path());
        long t0 = System.nanoTime();
        int workers = configured.workers(c.train().workers());
        checkShards(c, workers);

        TrainingRows in = trainingRows(configured, c);
        JobContext ctx = in.ctx();
        DistilleryConfig cfg = ctx.config();
        int classes = cfg.data().numClasses();
        int width = in.width();
        RowLabels packing = in.packing();
        Map<String, MultiLayerNetwork> nets = networks(cfg, width);
        TrainingBlocks blocks = TrainingBlocks.pack(Splits.training(ctx, in.rows()), workers, width,
                packing, c.train().blockMb());
        TrainingBlocks testBlocks = Splits.heldOut(ctx, in.rows(), width, c.train().blockMb());
        try {
            // The layout gives both the shards' row counts and the epoch's length.
            BlockLayout layout = blocks.layout();
            List<TrainedModel> models = models(c, nets, packing, layout, workers);
            int roundsPerEpoch = layout.roundsPerEpoch(c.train().batchSize(), c.train().averagingFrequency());
            long burnIn = Math.round(c.burnInEpochs() * roundsPerEpoch);
            LOG.info("codistill: {} models {} on {} partitions ({}); labels {}; loss = {}; exchange every "
                            + "{} rounds after a burn-in of {} rounds; labelled fraction {}", nets.size(),
                    nets.keySet(),
                    workers, c.shards() ? "disjoint shards" : "every model on every row", packing.layout().extend()
                            .add(LabelLayout.PEERS, classes).add(LabelLayout.PEER_WEIGHT, 1).build(),
                    objective(c, classes).formula(), c.exchangePeriod(), burnIn, cfg.distill().labelledFraction());

            SnapshotExchange exchange = new SnapshotExchange(c.exchangePeriod(), burnIn);
            CoDistillationStep step = new CoDistillationStep(SnapshotExchange.allOthers(c.names()),
                    c.peerLoss().equals("kd") ? CoDistillationStep.Target.MEAN_PROBABILITY
                            : CoDistillationStep.Target.MEAN_LOG_PROBABILITY,
                    c.temperature(), c.peerWeight(), burnIn, classes);
            // The models' initial states (the networks stay on the driver, to be saved with the final states).
            Map<String, ModelState> fresh = new LinkedHashMap<>();
            nets.forEach((name, net) -> fresh.put(name, ModelState.of(Network.of(net))));
            Map<String, String> facts = facts(ctx, c, width, burnIn);
            Provenance provenance = ctx.provenance(STAGE, List.of(in.input()), facts);
            HeldOutAccuracy heldOut = Training.heldOut(ctx, testBlocks);
            Map<String, Network.Blueprint> blueprints = new LinkedHashMap<>();
            nets.forEach((name, net) -> blueprints.put(name, Network.of(net).blueprint()));
            TrainingState end = Training.train(ctx, STAGE, c.path(), c.train(), blocks, models, step,
                    new TrainingState(fresh), m -> heldOut.of(blueprints.get(m.getKey()), m.getValue()),
                    provenance, List.of(exchange));
            long bytes = end.trainable().values().stream().mapToLong(s -> s.withoutUpdater().bytes()).sum();
            Provenance done = provenance.withFact("exchanges", Integer.toString(end.exchanges()))
                    .withFact("bytes-per-exchange", Long.toString(bytes));
            save(ctx, c, nets, end, done, exchange.schedule());
            Training.checkpoints(ctx, c.path()).clear();
            LOG.info(String.format("codistill: %d models trained and saved to %s in %.1f s (%d exchanges of %d bytes)",
                    nets.size(), c.path(), (System.nanoTime() - t0) / 1e9, end.exchanges(), bytes));
        } finally {
            blocks.unpersist();
            testBlocks.unpersist();
        }
    }

    /** The models' networks, by name; each its own initialisation (identical copies would learn nothing new). */
    private static Map<String, MultiLayerNetwork> networks(DistilleryConfig cfg, int width) {
        CodistillSpec c = cfg.codistill();
        int classes = cfg.data().numClasses();
        Map<String, MultiLayerNetwork> nets = new LinkedHashMap<>();
        for (int k = 0; k < c.models().size(); k++) {
            CodistillSpec.NamedModel m = c.models().get(k);
            nets.put(m.name(), ModelFactory.build(m.model(), width, cfg.data().inputShape(), classes,
                    objective(c, classes), cfg.seed() + 1_000_003L * (k + 1)));
        }
        return nets;
    }

    /**
     * The rows the models train on: with a teacher term the soft-target store (checked against the configured
     * teacher), else the training data itself.
     *
     * @param rows    id, label and features (and the teacher's columns)
     * @param packing how a row becomes its packed labels
     * @param input   the provenance reference of what was read
     * @param width   features per row
     * @param ctx     the context preparing every other dataset as these rows were (class names, scaling)
     */
    private record TrainingRows(Dataset<Row> rows, RowLabels packing, Provenance.InputRef input, int width,
                                JobContext ctx) {
    }

    private static TrainingRows trainingRows(JobContext configured, CodistillSpec c) {
        double labelled = configured.config().distill().labelledFraction();
        if (c.usesTeacher()) {
            String storePath = configured.config().softTargets().path();
            Provenance store = DistillJob.checkStore(configured, storePath);
            JobContext ctx = configured.prepared(DistillJob.storePreparation(configured, store, storePath));
            DistilleryConfig cfg = ctx.config();
            int classes = cfg.data().numClasses();
            TeacherTargets teacher = SoftTargetStore.teacherTargets(store, storePath, classes, cfg.distill(), false);
            return new TrainingRows(SoftTargetStore.read(ctx, storePath, teacher, List.of()),
                    RowLabels.distillation(classes, labelled, cfg.seed(), teacher),
                    new Provenance.InputRef("store", storePath, store.fact(Fingerprint.FACT)),
                    Integer.parseInt(store.fact("input-width")), ctx);
        }
        // Without a teacher, codistill indexes the labels and fits the scaling on data.train itself.
        Inputs.Fitted fitted = Inputs.fitTrain(configured);
        JobContext ctx = fitted.ctx();
        DistilleryConfig cfg = ctx.config();
        Dataset<Row> rows = fitted.rows();
        return new TrainingRows(rows, RowLabels.partlyLabelled(cfg.data().numClasses(), labelled, cfg.seed()),
                new Provenance.InputRef("train-data", cfg.data().train(), ctx.files().dataIdentity(cfg.data().train())),
                Inputs.featureWidth(ctx, rows), ctx);
    }

    private static Map<String, String> facts(JobContext ctx, CodistillSpec c, int width, long burnIn) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("role", STAGE);
        facts.put("num-classes", Integer.toString(ctx.config().data().numClasses()));
        facts.put("input-width", Integer.toString(width));
        facts.put("models", String.join(",", c.names()));
        facts.put("loss", objective(c, ctx.config().data().numClasses()).formula());
        facts.put("burn-in-rounds", Long.toString(burnIn));
        facts.put("exchange-period", Integer.toString(c.exchangePeriod()));
        facts.put(Fingerprint.FACT, fingerprint(ctx));
        facts.putAll(ctx.preparation().facts());
        return facts;
    }

    /** Each model's objective: ce, the teacher's kd when configured, and the peer term. */
    static CoDistillationLoss objective(CodistillSpec c, int classes) {
        List<TermSpec> own = new ArrayList<>(List.of(new TermSpec("ce", 1.0, Map.of())));
        if (c.usesTeacher()) {
            own.add(new TermSpec("kd", c.teacherWeight(), Map.of("temperature", c.teacherTemperature())));
        }
        TermSpec peer = c.peerLoss().equals("kd")
                ? new TermSpec("kd", 1.0, Map.of("temperature", c.temperature()))
                : new TermSpec("logit-mse", 1.0, Map.of());
        return new CoDistillationLoss(own, List.of(peer), classes, c.usesTeacher());
    }

    /** With shards, partition p trains model p mod K, so there must be at least K partitions. */
    private static void checkShards(CodistillSpec c, int workers) {
        if (c.shards() && workers < c.models().size()) {
            throw new DistilleryException("Key distillery.codistill.data is 'shards', which gives each of the "
                    + c.models().size() + " models its own partitions, but there are " + workers + " (key "
                    + "distillery.codistill.train.workers); model '" + c.names().get(workers) + "' would have no rows."
                    + " Set the workers to at least " + c.models().size() + ".");
        }
    }

    /** Rows of each packed partition, in partition order. */
    private static List<TrainedModel> models(CodistillSpec c, Map<String, MultiLayerNetwork> nets,
                                             RowLabels packing, BlockLayout layout, int workers) {
        List<TrainedModel> models = new ArrayList<>();
        ConfigProblems problems = new ConfigProblems();
        int k = 0;
        for (Map.Entry<String, MultiLayerNetwork> e : nets.entrySet()) {
            TrainedModel m = TrainedModel.plain(e.getKey(), Network.of(e.getValue()), packing.layout());
            if (c.shards()) {
                List<Integer> mine = new ArrayList<>();
                long rows = 0;
                for (int p = k; p < workers; p += nets.size()) {
                    mine.add(p);
                    rows += layout.rowsOf(p);
                }
                problems.check(rows > 0, "Key distillery.codistill.data is 'shards', and partitions " + mine
                        + " of the training data, model '" + e.getKey() + "''s shard, hold no rows; use fewer "
                        + "workers (distillery.codistill.train.workers) or more data.");
                m = m.onPartitions(mine.stream().mapToInt(Integer::intValue).toArray());
            }
            models.add(m);
            k++;
        }
        problems.throwIfAny();
        return models;
    }

    private static void save(JobContext ctx, CodistillSpec c, Map<String, MultiLayerNetwork> nets,
                             TrainingState end, Provenance provenance, List<String> schedule) {
        ArtifactFiles files = ctx.files();
        try (AtomicOutput out = AtomicOutput.begin(files, c.path(), ctx.overwrite())) {
            for (Map.Entry<String, MultiLayerNetwork> e : nets.entrySet()) {
                MultiLayerNetwork net = e.getValue();
                EarlyStopping.best(end, e.getKey()).applyTo(Network.of(net));
                net.setEpochCount(end.epoch());
                String dir = out.path() + "/" + e.getKey();
                ModelArtifact.write(files, net, dir, Training.withEpochs(ctx, provenance, end, e.getKey())
                        .withFact("role", "codistill/" + e.getKey()));
                HistoryFile.write(files, dir, e.getKey(), end);
                files.writeText(dir + "/" + ArtifactFiles.SUCCESS, "");
            }
            files.writeText(out.path() + "/" + SCHEDULE_FILE, "round\tmodel\tlearnt_from\n"
                    + String.join("\n", schedule) + (schedule.isEmpty() ? "" : "\n"));
            files.writeProvenance(out.path(), provenance);
            out.commit();
        }
    }
}
