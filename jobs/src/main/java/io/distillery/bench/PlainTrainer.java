package io.distillery.bench;

import io.distillery.train.EpochOrder;
import io.distillery.train.TrainingBlock;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.List;

/**
 * The plain single-process loop: the same blocks' minibatches, in the same epoch order, visited round by round
 * (each round, each partition's next {@code averagingFrequency} minibatches), fitted one after the other.
 */
final class PlainTrainer {
    private final List<List<TrainingBlock>> byPartition;
    private final long seed;
    private final int batchSize;
    private final int frequency;

    PlainTrainer(List<List<TrainingBlock>> byPartition, long seed, int batchSize, int frequency) {
        this.byPartition = byPartition;
        this.seed = seed;
        this.batchSize = batchSize;
        this.frequency = frequency;
    }

    double fitEpoch(MultiLayerNetwork net, int epoch) {
        int parts = byPartition.size();
        int[][] orders = new int[parts][];
        int maxBatches = 0;
        for (int p = 0; p < parts; p++) {
            if (!byPartition.get(p).isEmpty()) {
                TrainingBlock b = byPartition.get(p).get(0);
                orders[p] = EpochOrder.permutation(b.rows(), seed, epoch, p);
                maxBatches = Math.max(maxBatches, b.batchCount(batchSize));
            }
        }
        double loss = 0;
        int fitted = 0;
        for (int first = 0; first < maxBatches; first += frequency) {
            for (int p = 0; p < parts; p++) {
                if (orders[p] == null) {
                    continue;
                }
                TrainingBlock block = byPartition.get(p).get(0);
                int last = Math.min(block.batchCount(batchSize), first + frequency);
                for (int b = first; b < last; b++) {
                    net.fit(block.minibatch(orders[p], b, batchSize));
                    loss += net.score();
                    fitted++;
                }
            }
        }
        return fitted == 0 ? Double.NaN : loss / fitted;
    }
}
