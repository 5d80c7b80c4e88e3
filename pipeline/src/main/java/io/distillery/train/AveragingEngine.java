package io.distillery.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.slf4j.Logger;
import scala.runtime.AbstractFunction1;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Our parameter averaging on plain Spark: each round broadcasts the trainable models' states, every worker fits
 * {@code averagingFrequency} minibatches of its current cached block for each model it trains ({@link RoundTask}),
 * and a {@code treeReduce} sums each model's states weighted by the minibatches its workers fitted. A round's job
 * runs only on the blocks the round reads ({@link BlockLayout#plan}), one per worker, so a worker's other blocks
 * may stay on disk. Frozen snapshots
 * get a broadcast of their own that is replaced only when they change (an exchange), so a round ships only what
 * is averaged. Compared with DL4J's {@code ParameterAveragingTrainingMaster} it keeps the rows decoded and cached
 * across rounds and epochs, reuses the worker networks, and ships plain float arrays instead of
 * serialized networks.
 */
public final class AveragingEngine implements RoundEngine {
    private static final Logger LOG = LoggerFactory.getLogger(AveragingEngine.class);

    private final JavaSparkContext sc;
    private final TrainingBlocks blocks;
    private final BlockLayout layout;
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
     * @param blocks the cached training blocks
     * @param models the trainable models, in the order their states are declared
     * @param step   what a worker does with each minibatch (the scheme's executor side)
     */
    public AveragingEngine(JavaSparkContext sc, TrainingBlocks blocks, List<TrainedModel> models,
                           RoundStep step, long seed, int batchSize, int averagingFrequency) {
        this.sc = sc;
        this.blocks = blocks;
        this.models = List.copyOf(models);
        this.step = step;
        this.seed = seed;
        this.batchSize = batchSize;
        this.averagingFrequency = averagingFrequency;
        this.layout = blocks.layout();
        this.roundsPerEpoch = layout.roundsPerEpoch(batchSize, averagingFrequency);
    }

    @Override
    public int roundsPerEpoch() {
        return roundsPerEpoch;
    }

    @Override
    public Map<String, RoundOutcome> run(TrainingState state) {
        Broadcast<Map<String, ModelState>> trainable = sc.broadcast(new LinkedHashMap<>(state.trainable()));
        try {
            BlockLayout.RoundPlan plan = layout.plan(seed, state.epoch(), state.roundInEpoch(), batchSize,
                    averagingFrequency);
            Map<String, RoundResult> sums = plan.blocks().length == 0 ? Map.of()
                    : roundBlocks(plan).mapPartitionsWithIndex(new RoundTask(trainable, frozenBroadcast(state),
                            models, step, trainingId, seed, state, batchSize, plan), true)
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

    /** The blocks {@code plan} reads, in ascending order: tasks only for them, where they are cached. */
    private JavaRDD<TrainingBlock> roundBlocks(BlockLayout.RoundPlan plan) {
        if (plan.blocks().length == layout.blocks()) {
            return blocks.rdd();
        }
        return PartitionPruningRDD.create(blocks.rdd().rdd(), new ReadsBlock(plan)).toJavaRDD();
    }

    /** The partition filter of a round's job; it travels with the job's RDD graph, so it is serializable. */
    private static final class ReadsBlock extends AbstractFunction1<Object, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final BlockLayout.RoundPlan plan;

        ReadsBlock(BlockLayout.RoundPlan plan) {
            this.plan = plan;
        }

        @Override
        public Object apply(Object partition) {
            return plan.reads((Integer) partition);
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
