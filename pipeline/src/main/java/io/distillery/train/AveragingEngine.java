package io.distillery.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Our parameter averaging on plain Spark: each round broadcasts the trainable models' states, every worker fits
 * {@code averagingFrequency} minibatches of its cached partition for each model it trains ({@link RoundTask}), and
 * a {@code treeReduce} sums each model's states weighted by the minibatches its workers fitted. Frozen snapshots
 * get a broadcast of their own that is replaced only when they change (an exchange), so a round ships only what
 * is averaged. Compared with DL4J's {@code ParameterAveragingTrainingMaster} it keeps each partition's rows decoded
 * and cached across rounds and epochs, reuses the worker networks, and ships plain float arrays instead of
 * serialized networks.
 */
public final class AveragingEngine implements RoundEngine {
    private static final Logger LOG = LoggerFactory.getLogger(AveragingEngine.class);

    private final JavaSparkContext sc;
    private final JavaRDD<TrainingBlock> blocks;
    private final List<TrainedModel> models;
    private final RoundStep step;
    private final long seed;
    private final int batchSize;
    private final int averagingFrequency;
    private final int roundsPerEpoch;
    private final String trainingId = UUID.randomUUID().toString();
    private Broadcast<Map<String, TrainingState.Snapshot>> frozen;
    private Map<String, TrainingState.Snapshot> frozenShipped;

    /**
     * @param blocks one cached {@link TrainingBlock} per partition
     * @param models the trainable models, in the order their states are declared
     * @param step   what a worker does with each minibatch (the scheme's executor side)
     */
    public AveragingEngine(JavaSparkContext sc, JavaRDD<TrainingBlock> blocks, List<TrainedModel> models,
                           RoundStep step, long seed, int batchSize, int averagingFrequency) {
        this.sc = sc;
        this.blocks = blocks;
        this.models = List.copyOf(models);
        this.step = step;
        this.seed = seed;
        this.batchSize = batchSize;
        this.averagingFrequency = averagingFrequency;
        int maxBatches = blocks.map(b -> b.batchCount(batchSize)).fold(0, Math::max);
        this.roundsPerEpoch = (maxBatches + averagingFrequency - 1) / averagingFrequency;
    }

    @Override
    public int roundsPerEpoch() {
        return roundsPerEpoch;
    }

    @Override
    public Map<String, RoundOutcome> run(TrainingState state) {
        Broadcast<Map<String, ModelState>> trainable = sc.broadcast(new LinkedHashMap<>(state.trainable()));
        try {
            Map<String, RoundResult> sums = blocks.mapPartitionsWithIndex(new RoundTask(trainable,
                            frozenBroadcast(state), models, step, trainingId, seed, state, batchSize,
                            averagingFrequency), true)
                    .treeReduce(RoundTask::merge);
            Map<String, RoundOutcome> out = new LinkedHashMap<>();
            for (String name : state.trainable().keySet()) {
                RoundResult r = sums.get(name);
                // A model whose workers have no minibatch left in this round (a shard smaller than the largest
                // partition) keeps its state until the next epoch.
                out.put(name, r == null ? new RoundOutcome(state.model(name), 0, 0, java.util.Set.of())
                        : new RoundOutcome(r.average(), r.lossSum, r.batches, r.reads));
            }
            return out;
        } finally {
            trainable.destroy();
        }
    }

    /** The broadcast of the current frozen snapshots, made anew only when they changed since the last round. */
    private Broadcast<Map<String, TrainingState.Snapshot>> frozenBroadcast(TrainingState state) {
        if (state.frozen().isEmpty()) {
            return null;
        }
        if (frozen == null || !state.frozen().equals(frozenShipped)) {
            if (frozen != null) {
                frozen.destroy();
            }
            frozenShipped = new LinkedHashMap<>(state.frozen());
            frozen = sc.broadcast(frozenShipped);
            long bytes = frozenShipped.values().stream().mapToLong(s -> s.state().bytes()).sum();
            LOG.info("round {}: broadcast {} frozen snapshot(s), {} bytes", state.round(), frozenShipped.size(),
                    bytes);
        }
        return frozen;
    }

    @Override
    public void close() {
        if (frozen != null) {
            frozen.destroy();
            frozen = null;
        }
        WorkerModels.release(trainingId);
    }
}
