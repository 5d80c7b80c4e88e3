package io.distillery.bench;

import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.loss.CoDistillationLoss;
import io.distillery.loss.TermSpec;
import io.distillery.model.ModelFactory;
import io.distillery.store.SoftTargetSchema;
import io.distillery.config.TrainSpec;
import io.distillery.train.AveragingEngine;
import io.distillery.train.CoDistillationStep;
import io.distillery.train.HeldOutAccuracy;
import io.distillery.train.ModelState;
import io.distillery.train.Network;
import io.distillery.train.RoundListener;
import io.distillery.train.RoundLoop;
import io.distillery.train.RoundStep;
import io.distillery.train.RowLabels;
import io.distillery.train.SnapshotExchange;
import io.distillery.train.TrainedModel;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.TrainingState;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code distill bench codistill}: what co-distillation costs and what it buys at this scale, measured in one run.
 * <ol>
 *   <li><b>Price of the peer term.</b> Two models on the same two workers, with the peer term (each minibatch also
 *   runs the other model's frozen snapshot) and without it (weight 0: no snapshot is run), interleaved: samples of
 *   whole rounds lasting at least {@code minSeconds} each, alternating, medians with min and max.</li>
 *   <li><b>Bytes per exchange</b>: the snapshots' parameters broadcast at each exchange.</li>
 *   <li><b>Time to a target held-out loss</b>: two co-distilled models on one worker each (disjoint shards) against
 *   one model averaged over both workers, same data, same minibatch size: rounds and training wall time (held-out
 *   evaluation excluded) until a model's held-out cross-entropy first reaches the target.</li>
 * </ol>
 */
final class CodistillBench {
    private static final Logger LOG = LoggerFactory.getLogger(CodistillBench.class);

    /** The options of one run. */
    static final class Options {
        String data;
        String test;
        int rows;
        int hidden;
        int batchSize;
        int averagingFrequency;
        int exchangePeriod;
        int repeats;
        double minSeconds;
        double targetLoss;
        int maxRounds;
        int evalEvery;
        long seed;
    }

    private final SparkSession spark;
    private final JavaSparkContext sc;
    private final Options o;

    CodistillBench(SparkSession spark, Options o) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        this.o = o;
    }

    String run() {
        Dataset<Row> train = read(o.data, o.rows);
        Dataset<Row> test = read(o.test, 10_000);
        int width = train.select(SoftTargetSchema.FEATURES).first().getList(0).size();
        TrainingBlocks blocks = TrainingBlocks.pack(train, 2, width, RowLabels.oneHot(10), TrainSpec.DEFAULT_BLOCK_MB);
        TrainingBlocks testBlocks = TrainingBlocks.pack(test, 2, width, RowLabels.oneHot(10),
                TrainSpec.DEFAULT_BLOCK_MB);
        long rows = blocks.rdd().map(TrainingBlock::rows).reduce(Integer::sum);
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "co-distillation bench: %d training rows on 2 workers, %d held-out "
                        + "rows; models 784-%d-10, Adam 1e-3, batch %d, averaging every %d minibatches; machine %s, "
                        + "load %s%n%n", rows, testBlocks.rdd().map(TrainingBlock::rows).reduce(Integer::sum), o.hidden,
                o.batchSize, o.averagingFrequency, Machine.describe(spark).get("cpu"), Machine.loadAverage()));
        try {
            peerTermPrice(blocks, out);
            timeToTarget(blocks, testBlocks, out);
        } finally {
            blocks.unpersist();
            testBlocks.unpersist();
        }
        return out.toString();
    }

    private Dataset<Row> read(String path, int limit) {
        return spark.read().option("pathGlobFilter", "*.parquet").parquet(path)
                .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES)
                .orderBy(SoftTargetSchema.ID).limit(limit);
    }

    private Network model(long seed) {
        ModelSpec spec = new ModelSpec(List.of(new LayerSpec("dense", "hidden1", o.hidden, 2, 1, "relu", 0)),
                "adam", 1e-3, 0, 0, 0);
        return Network.of(ModelFactory.build(spec, 784, List.of(), 10, new CoDistillationLoss(
                List.of(new TermSpec("ce", 1.0, Map.of())),
                List.of(new TermSpec("kd", 1.0, Map.of("temperature", 1.0))), 10, false), seed));
    }

    /** Two models, both on every worker, their state and trained-model descriptions. */
    private record Pair(List<TrainedModel> models, TrainingState state) {
    }

    private Pair pair(boolean shards) {
        Network a = model(o.seed + 1);
        Network b = model(o.seed + 2);
        Map<String, ModelState> fresh = new LinkedHashMap<>();
        fresh.put("a", ModelState.of(a));
        fresh.put("b", ModelState.of(b));
        TrainedModel ta = TrainedModel.plain("a", a, RowLabels.oneHot(10).layout());
        TrainedModel tb = TrainedModel.plain("b", b, RowLabels.oneHot(10).layout());
        return new Pair(shards ? List.of(ta.onPartitions(0), tb.onPartitions(1)) : List.of(ta, tb),
                new TrainingState(fresh));
    }

    private CoDistillationStep step(double weight) {
        return new CoDistillationStep(SnapshotExchange.allOthers(List.of("a", "b")),
                CoDistillationStep.Target.MEAN_PROBABILITY, 1.0, weight, 0, 10);
    }

    private void peerTermPrice(TrainingBlocks blocks, StringBuilder out) {
        Pair with = pair(false);
        Pair without = pair(false);
        long bytes = with.state().trainable().values().stream().mapToLong(s -> s.withoutUpdater().bytes()).sum();
        try (AveragingEngine eWith = new AveragingEngine(sc, blocks, with.models(), step(1.0), o.seed, o.batchSize,
                o.averagingFrequency);
             AveragingEngine eWithout = new AveragingEngine(sc, blocks, without.models(), step(0.0), o.seed,
                     o.batchSize, o.averagingFrequency)) {
            RoundLoop lWith = new RoundLoop(eWith, List.of(new SnapshotExchange(o.exchangePeriod, 0)), 1);
            RoundLoop lWithout = new RoundLoop(eWithout, List.of(new SnapshotExchange(o.exchangePeriod, 0)), 1);
            List<Double> msWith = new ArrayList<>();
            List<Double> msWithout = new ArrayList<>();
            for (int r = 0; r <= o.repeats; r++) {  // sample 0 warms up both sides and is not counted
                double a = sample(lWith, with.state());
                double b = sample(lWithout, without.state());
                if (r > 0) {
                    msWith.add(a);
                    msWithout.add(b);
                }
                LOG.info(String.format(Locale.ROOT, "bench codistill: sample %d: %.1f ms/round with the peer term, "
                        + "%.1f without", r, a, b));
            }
            out.append("1. Price of the peer term (2 models on both workers; ms per round, ").append(o.repeats)
                    .append(" interleaved samples of >= ").append(o.minSeconds).append(" s each)\n");
            out.append(String.format(Locale.ROOT, "   with peer term     median %7.1f  min %7.1f  max %7.1f%n",
                    median(msWith), min(msWith), max(msWith)));
            out.append(String.format(Locale.ROOT, "   without (weight 0) median %7.1f  min %7.1f  max %7.1f%n",
                    median(msWithout), min(msWithout), max(msWithout)));
            out.append(String.format(Locale.ROOT, "   ratio with / without (medians): %.2f%n%n",
                    median(msWith) / median(msWithout)));
            out.append(String.format(Locale.ROOT, "2. Bytes per exchange: %,d (2 snapshots of %,d parameters, "
                    + "float32, broadcast once per exchange, not per round)%n%n", bytes, bytes / 8));
        }
    }

    /** Runs whole rounds for at least {@code minSeconds}; returns milliseconds per round. */
    private double sample(RoundLoop loop, TrainingState state) {
        long t0 = System.nanoTime();
        int rounds = 0;
        while ((System.nanoTime() - t0) / 1e9 < o.minSeconds) {
            loop.runRounds(state, 1);
            rounds++;
        }
        return (System.nanoTime() - t0) / 1e6 / rounds;
    }

    private void timeToTarget(TrainingBlocks blocks, TrainingBlocks testBlocks,
                              StringBuilder out) {
        HeldOutAccuracy heldOut = new HeldOutAccuracy(sc, testBlocks, 10, 1024);
        out.append(String.format(Locale.ROOT, "3. Rounds and training time to held-out cross-entropy <= %.3f "
                + "(evaluated every %d rounds, evaluation not timed; at most %d rounds)%n", o.targetLoss,
                o.evalEvery, o.maxRounds));
        Network single = model(o.seed + 1);
        TrainedModel one = TrainedModel.plain("a", single, RowLabels.oneHot(10).layout());
        TrainingState oneState = new TrainingState(Map.of("a", ModelState.of(single)));
        try (AveragingEngine e = new AveragingEngine(sc, blocks, List.of(one), step(0.0), o.seed, o.batchSize,
                o.averagingFrequency)) {
            out.append(race("1 model on 2 workers", new RoundLoop(e, List.of(), 1), oneState, heldOut, single));
        }
        Pair shards = pair(true);
        try (AveragingEngine e = new AveragingEngine(sc, blocks, shards.models(), step(1.0), o.seed, o.batchSize,
                o.averagingFrequency)) {
            RoundListener exchange = new SnapshotExchange(o.exchangePeriod, 0);
            out.append(race("2 co-distilled models, 1 worker each", new RoundLoop(e, List.of(exchange), 1),
                    shards.state(), heldOut, single));
        }
    }

    private String race(String what, RoundLoop loop, TrainingState state, HeldOutAccuracy heldOut,
                        Network architecture) {
        double seconds = 0;
        StringBuilder curve = new StringBuilder();
        for (int round = 0; round < o.maxRounds; round += o.evalEvery) {
            long t0 = System.nanoTime();
            loop.runRounds(state, o.evalEvery);
            seconds += (System.nanoTime() - t0) / 1e9;
            double best = Double.POSITIVE_INFINITY;
            String bestModel = "";
            for (Map.Entry<String, ModelState> m : state.trainable().entrySet()) {
                double loss = heldOut.crossEntropy(architecture.blueprint(), m.getValue());
                if (loss < best) {
                    best = loss;
                    bestModel = m.getKey();
                }
            }
            curve.append(String.format(Locale.ROOT, " %d:%.3f", state.round(), best));
            LOG.info(String.format(Locale.ROOT, "bench codistill: %s: round %d, %.1f s, best held-out loss %.4f (%s)",
                    what, state.round(), seconds, best, bestModel));
            if (best <= o.targetLoss) {
                return String.format(Locale.ROOT, "   %-38s reached it at round %d after %.1f s (model %s)%n"
                        + "     best held-out loss by round:%s%n", what, state.round(), seconds, bestModel, curve);
            }
        }
        return String.format(Locale.ROOT, "   %-38s did not reach it in %d rounds (%.1f s)%n"
                + "     best held-out loss by round:%s%n", what, state.round(), seconds, curve);
    }

    private static double median(List<Double> v) {
        return Measurement.median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    static String defaultPath(String full, String sample) {
        return new File(full).isDirectory() ? full : sample;
    }
}
