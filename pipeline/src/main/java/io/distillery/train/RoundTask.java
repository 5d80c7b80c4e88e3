package io.distillery.train;

import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One round on one worker: for every model this worker trains, start from the broadcast averaged state, fit the
 * minibatches the round's {@link BlockLayout.RoundPlan} gives it (up to {@code averagingFrequency} of its current
 * block, in the block's shuffled order of the epoch) through the scheme's {@link RoundStep}, and return the
 * resulting states. The minibatches are visited in order and, within a
 * minibatch, the models in declaration order. Only small immutable values travel in the closure; networks come
 * from the executor's cache, frozen snapshots from their own broadcast, which changes only at an exchange.
 */
final class RoundTask implements Function2<Integer, Iterator<TrainingBlock>, Iterator<Map<String, RoundResult>>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<Map<String, ModelState>> trainable;
    private final Broadcast<Map<String, TrainingState.Snapshot>> frozen;
    private final List<TrainedModel> models;
    private final RoundStep step;
    private final String trainingId;
    private final long seed;
    private final int epoch;
    private final long round;
    private final int batchSize;
    private final BlockLayout.RoundPlan plan;

    RoundTask(Broadcast<Map<String, ModelState>> trainable, Broadcast<Map<String, TrainingState.Snapshot>> frozen,
              List<TrainedModel> models, RoundStep step, String trainingId, long seed, TrainingState state,
              int batchSize, BlockLayout.RoundPlan plan) {
        this.trainable = trainable;
        this.frozen = frozen;
        this.models = models;
        this.step = step;
        this.trainingId = trainingId;
        this.seed = seed;
        this.epoch = state.epoch();
        this.round = state.round();
        this.batchSize = batchSize;
        this.plan = plan;
    }

    @Override
    public Iterator<Map<String, RoundResult>> call(Integer index, Iterator<TrainingBlock> blocks) {
        if (!blocks.hasNext()) {
            return Collections.emptyIterator();
        }
        TrainingBlock block = blocks.next();
        // The job runs on the plan's blocks only: task i reads the plan's i-th block.
        int blockPartition = plan.blocks()[index];
        int worker = plan.workers()[index];
        int first = plan.firstBatch()[index];
        int last = plan.lastBatch()[index];
        List<TrainedModel> mine = models.stream().filter(m -> m.trainsOn(worker)).toList();
        if (first >= last || mine.isEmpty()) {
            return Collections.emptyIterator();
        }
        Map<String, Network.Blueprint> blueprints = new HashMap<>();
        Map<String, Network> nets = new HashMap<>();
        for (TrainedModel m : models) {
            blueprints.put(m.name(), m.blueprint());
        }
        for (TrainedModel m : mine) {
            Network net = WorkerModels.trainable(trainingId, worker, m.name(), m.blueprint());
            trainable.value().get(m.name()).applyTo(net);
            nets.put(m.name(), net);
        }
        WorkerRound view = new WorkerRound(trainingId, worker, round,
                frozen == null ? Map.of() : frozen.value(), blueprints);
        int[] order = EpochOrder.permutation(block.rows(), seed, epoch, blockPartition);
        Map<String, Double> loss = new HashMap<>();
        for (int b = first; b < last; b++) {
            view.startBatch(b);
            for (TrainedModel m : mine) {
                MultiDataSet batch = block.multiMinibatch(order, b, batchSize, m.outputRanges());
                loss.merge(m.name(), step.fit(m, nets.get(m.name()), batch, view), Double::sum);
            }
        }
        Map<String, RoundResult> results = new HashMap<>();
        for (TrainedModel m : mine) {
            ModelState after = ModelState.of(nets.get(m.name()));
            results.put(m.name(), new RoundResult(after.params(), after.updater(), last - first, loss.get(m.name()),
                    after.iteration(), view.reads(m.name())));
        }
        return List.of(results).iterator();
    }

    /** Merges two workers' results model by model (used by {@code treeReduce}). */
    static Map<String, RoundResult> merge(Map<String, RoundResult> a, Map<String, RoundResult> b) {
        Map<String, RoundResult> out = new HashMap<>(a);
        b.forEach((name, r) -> out.merge(name, r, RoundResult::merge));
        return out;
    }
}
