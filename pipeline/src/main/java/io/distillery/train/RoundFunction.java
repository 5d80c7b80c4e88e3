package io.distillery.train;

import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * One round on one worker: start from the broadcast averaged state, fit this partition's next
 * {@code averagingFrequency} minibatches of the epoch's shuffled order, and return the resulting state.
 * Only small immutable values travel in the closure; the network is rebuilt from its JSON or taken from the
 * executor's cache. A training graph ({@code outputSegments} not null) is fitted on {@code MultiDataSet}s whose
 * label arrays are the given column ranges of the block's labels.
 */
final class RoundFunction implements Function2<Integer, Iterator<TrainingBlock>, Iterator<RoundResult>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<ModelState> state;
    private final String configurationJson;
    private final String trainingId;
    private final long seed;
    private final int epoch;
    private final int round;
    private final int batchSize;
    private final int averagingFrequency;
    private final int[] outputSegments;

    /**
     * @param outputSegments null for a {@code MultiLayerNetwork}; for a {@code ComputationGraph}, the label
     *                       columns of each output as (offset, width) pairs, in output order
     */
    RoundFunction(Broadcast<ModelState> state, String configurationJson, String trainingId, long seed, int epoch,
                  int round, int batchSize, int averagingFrequency, int[] outputSegments) {
        this.state = state;
        this.configurationJson = configurationJson;
        this.trainingId = trainingId;
        this.seed = seed;
        this.epoch = epoch;
        this.round = round;
        this.batchSize = batchSize;
        this.averagingFrequency = averagingFrequency;
        this.outputSegments = outputSegments;
    }

    @Override
    public Iterator<RoundResult> call(Integer partition, Iterator<TrainingBlock> blocks) {
        if (!blocks.hasNext()) {
            return Collections.emptyIterator();
        }
        TrainingBlock block = blocks.next();
        int first = round * averagingFrequency;
        int last = Math.min(block.batchCount(batchSize), first + averagingFrequency);
        if (first >= last) {
            return Collections.emptyIterator();
        }
        Model net = WorkerModels.get(trainingId, partition, configurationJson, outputSegments != null);
        state.value().applyTo(net);
        int[] order = EpochOrder.permutation(block.rows(), seed, epoch, partition);
        double loss = 0;
        for (int b = first; b < last; b++) {
            if (net instanceof ComputationGraph graph) {
                graph.fit(block.multiMinibatch(order, b, batchSize, outputSegments));
            } else {
                ((MultiLayerNetwork) net).fit(block.minibatch(order, b, batchSize));
            }
            loss += net.score();
        }
        ModelState after = ModelState.of(net);
        return List.of(new RoundResult(after.params(), after.updater(), last - first, loss, after.iteration()))
                .iterator();
    }
}
