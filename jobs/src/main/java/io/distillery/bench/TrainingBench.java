package io.distillery.bench;

import io.distillery.config.DistillSpec;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.config.TrainSpec;
import io.distillery.loss.DistillationLoss;
import io.distillery.model.ModelFactory;
import io.distillery.store.SoftTargetSchema;
import io.distillery.train.AveragingEngine;
import io.distillery.train.Dl4jEpochEngine;
import io.distillery.train.ModelState;
import io.distillery.train.Network;
import io.distillery.train.RoundEngine;
import io.distillery.train.RoundLoop;
import io.distillery.train.RoundStep;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainedModel;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The training half of {@code distill bench}: the round loop on {@link AveragingEngine} against the plain
 * {@code MultiLayerNetwork.fit} loop over the same minibatches ({@link PlainTrainer}), and optionally DL4J's
 * training master ({@link Dl4jEpochEngine}) and a one-round-per-epoch breakdown, for each student shape.
 */
final class TrainingBench {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingBench.class);

    private final BenchSetup s;

    TrainingBench(BenchSetup setup) {
        this.s = setup;
    }

    void run(String store) {
        DistillSpec d = s.cfg.distill();
        int classes = s.cfg.data().numClasses();
        Dataset<Row> storeRows = s.spark.read().option("pathGlobFilter", "*.parquet").parquet(store)
                .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES,
                        SoftTargetSchema.LOGITS);
        TrainingBlocks blocks = TrainingBlocks.pack(storeRows, s.partitions, s.width,
                RowLabels.distillation(classes, d.labelledFraction(), s.cfg.seed()), TrainSpec.DEFAULT_BLOCK_MB);
        long packed = blocks.rdd().map(TrainingBlock::rows).reduce(Integer::sum);
        // The plain loop takes each block for a partition of its own: the same rows, in its own order.
        List<List<TrainingBlock>> byPartition = blocks.rdd().glom().collect();
        TrainSpec spec = new TrainSpec(1, s.batchSize, s.averagingFrequency, s.partitions, "distillery");
        s.report.settings().put("student loss", new DistillationLoss(d.temperature(), d.alpha(), classes).toString()
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
        if (!s.o.students.isEmpty()) {
            return s.o.students;
        }
        String configured = s.cfg.studentModel().layers().stream().map(l -> Integer.toString(l.units()))
                .collect(Collectors.joining(","));
        return configured.equals("800,800") ? List.of(configured) : List.of(configured, "800,800");
    }

    private void student(String hidden, TrainingBlocks blocks, List<List<TrainingBlock>> byPartition,
                         long packed, TrainSpec spec, int classes) {
        ModelSpec base = s.cfg.studentModel();
        List<LayerSpec> layers = new ArrayList<>();
        String[] units = hidden.split(",");
        for (int i = 0; i < units.length; i++) {
            layers.add(new LayerSpec("dense", "hidden" + (i + 1), Integer.parseInt(units[i].trim()), 2, 1, "relu", 0));
        }
        ModelSpec ms = new ModelSpec(layers, base.updater(), base.learningRate(), base.l2(), 0, 0);
        DistillSpec d = s.cfg.distill();
        java.util.function.Supplier<MultiLayerNetwork> fresh = () -> ModelFactory.build(ms, s.width, List.of(),
                classes, new DistillationLoss(d.temperature(), d.alpha(), classes), s.cfg.seed());
        MultiLayerNetwork oursNet = fresh.get();
        MultiLayerNetwork plainNet = fresh.get();
        MultiLayerNetwork dl4jNet = s.o.dl4j ? fresh.get() : null;
        MultiLayerNetwork oneRoundNet = s.o.breakdown ? fresh.get() : null;
        int maxBatches = byPartition.stream().filter(b -> !b.isEmpty())
                .mapToInt(b -> b.get(0).batchCount(s.batchSize)).max().orElse(1);
        TrainSpec oneRound = new TrainSpec(1, s.batchSize, maxBatches, s.partitions, "distillery");
        String model = "student " + Bench.shape(oursNet);
        PlainTrainer plain = new PlainTrainer(byPartition, s.cfg.seed(), s.batchSize, s.averagingFrequency);

        TrainedModel m = new TrainedModel("student", Network.of(oursNet).blueprint(), new int[]{0, 2 * classes},
                new int[0]);
        try (EpochDriver ours = new EpochDriver(new AveragingEngine(s.sc, blocks, List.of(m), RoundStep.FIT,
                s.cfg.seed(), spec.batchSize(), spec.averagingFrequency()), oursNet);
             EpochDriver dl4j = s.o.dl4j ? new EpochDriver(new Dl4jEpochEngine(s.sc, blocks, m, s.cfg.seed(),
                     spec.batchSize(), spec.averagingFrequency()), dl4jNet) : null;
             EpochDriver ours1 = s.o.breakdown ? new EpochDriver(new AveragingEngine(s.sc, blocks, List.of(m),
                     RoundStep.FIT, s.cfg.seed(), oneRound.batchSize(), oneRound.averagingFrequency()), oneRoundNet)
                     : null) {
            int epoch = 0;
            for (String setting : s.o.taskThreads) {
                String t = s.threads.describe(setting);
                Measurement mOurs = s.report.add(new Measurement("training", "ours: AveragingEngine", model, t,
                        packed));
                Measurement mPlain = s.report.add(new Measurement("training", "plain: MultiLayerNetwork.fit loop",
                        model, s.threads.describeDefault(), packed));
                Measurement mDl4j = s.o.dl4j ? s.report.add(new Measurement("training",
                        "dl4j: ParameterAveragingTrainingMaster", model, t, packed)) : null;
                Measurement mOne = ours1 == null ? null : s.report.add(new Measurement("training",
                        "ours, 1 round/epoch (breakdown)", model, t, packed));
                for (int r = 0; r <= s.o.repeats; r++, epoch++) {
                    boolean warmUp = r == 0;
                    int e = epoch;
                    s.threads.apply(setting);
                    s.timed(warmUp ? null : mOurs, ours::fitEpoch);
                    if (ours1 != null) {
                        s.timed(warmUp ? null : mOne, ours1::fitEpoch);
                    }
                    s.threads.restore();
                    s.timed(warmUp ? null : mPlain, () -> plain.fitEpoch(plainNet, e));
                    if (dl4j != null) {
                        s.threads.apply(setting);
                        s.timed(warmUp ? null : mDl4j, dl4j::fitEpoch);
                        s.threads.restore();
                        dropLeakedRdds(blocks.rdd());
                    }
                    LOG.info("bench: {}, threads {}, {} {}", model, setting, warmUp ? "warm-up" : "repeat", r);
                }
                s.report.ratio("training: ours / plain", mOurs, mPlain, BenchReport.GOAL);
                if (mDl4j != null) {
                    s.report.ratio("training: dl4j / plain", mDl4j, mPlain, Double.NaN);
                }
                if (mOne != null) {
                    s.report.ratio("training: ours 1 round/epoch / plain", mOne, mPlain, Double.NaN);
                    double rounds = Math.ceil(maxBatches / (double) s.averagingFrequency);
                    if (rounds > 1) {
                        s.report.notes().add(String.format(java.util.Locale.ROOT, "%s, threads %s: one averaging "
                                        + "round costs about %.1f ms beyond its minibatches ((ours - ours 1 "
                                        + "round/epoch) / (%d - 1) rounds, medians).", model, t,
                                1000 * (mOurs.medianSeconds() - mOne.medianSeconds()) / (rounds - 1), (int) rounds));
                    }
                }
            }
        }
    }

    /** One model's round loop advanced an epoch at a time, as the bench times it. */
    private static final class EpochDriver implements AutoCloseable {
        private final RoundEngine engine;
        private TrainingState state;

        EpochDriver(RoundEngine engine, MultiLayerNetwork fresh) {
            this.engine = engine;
            this.state = new TrainingState(Map.of("student", ModelState.of(Network.of(fresh))));
        }

        /** @return the epochs completed */
        int fitEpoch() {
            state = new RoundLoop(engine, List.of(), state.epoch() + 1).run(state);
            return state.epoch();
        }

        @Override
        public void close() {
            engine.close();
        }
    }

    /**
     * Unpersists every RDD but {@code keep}. DL4J's ParameterAveragingTrainingMaster persists its input
     * (MEMORY_ONLY_SER) and never unpersists it, so each DL4J epoch leaves one serialized copy of the epoch's
     * minibatches in the block manager; left there, they would crowd out our cached blocks in later runs.
     */
    private void dropLeakedRdds(JavaRDD<?> keep) {
        for (Map.Entry<Integer, JavaRDD<?>> e : s.sc.getPersistentRDDs().entrySet()) {
            if (e.getKey() != keep.id()) {
                e.getValue().unpersist(true);
            }
        }
    }
}
