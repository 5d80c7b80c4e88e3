package io.distillery.train;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Accuracy of a network on cached held-out blocks, computed on the executors (the rows never reach the driver):
 * the per-epoch progress figure of every training run. The label of a row is the argmax of the block's
 * {@link LabelLayout#ONE_HOT} range, which comes first in every layout.
 */
public final class HeldOutAccuracy {
    private final JavaSparkContext sc;
    private final JavaRDD<TrainingBlock> blocks;
    private final int numClasses;
    private final int batchSize;

    public HeldOutAccuracy(JavaSparkContext sc, TrainingBlocks blocks, int numClasses, int batchSize) {
        this.sc = sc;
        this.blocks = blocks.rdd();
        this.numClasses = numClasses;
        this.batchSize = batchSize;
    }

    public double of(MultiLayerNetwork net) {
        return of(Network.of(net));
    }

    /** The accuracy of {@code net}'s first output. */
    public double of(Network net) {
        return of(net.blueprint(), ModelState.of(net).withoutUpdater());
    }

    /** The accuracy of a network of architecture {@code blueprint} holding {@code state}. */
    public double of(Network.Blueprint blueprint, ModelState state) {
        return evaluate(blueprint, state, 0)[0];
    }

    /** The accuracy of output {@code output} (an exit of a multi-exit graph) of such a network. */
    public double of(Network.Blueprint blueprint, ModelState state, int output) {
        return evaluate(blueprint, state, output)[0];
    }

    /**
     * The mean cross-entropy {@code -log p(label)} of a network of architecture {@code blueprint} holding
     * {@code state} (probabilities floored at 1e-12, as in evaluation).
     */
    public double crossEntropy(Network.Blueprint blueprint, ModelState state) {
        return evaluate(blueprint, state, 0)[1];
    }

    /** {accuracy, mean cross-entropy} of output {@code output} in one pass over the blocks. */
    private double[] evaluate(Network.Blueprint blueprint, ModelState state, int output) {
        Broadcast<ModelState> shipped = sc.broadcast(state);
        int classes = numClasses;
        int batch = batchSize;
        try {
            double[] sums = blocks.map(block -> {
                Network worker = blueprint.build();
                shipped.value().applyTo(worker);
                double correct = 0;
                double loss = 0;
                for (int from = 0; from < block.rows(); from += batch) {
                    int to = Math.min(block.rows(), from + batch);
                    INDArray probs = worker.outputs(block.features(from, to))[output];
                    INDArray predicted = probs.argMax(1);
                    for (int i = from; i < to; i++) {
                        int label = argMax(block.labelRow(i), classes);
                        if (predicted.getInt(i - from) == label) {
                            correct++;
                        }
                        loss -= Math.log(Math.max(1e-12, probs.getDouble(i - from, label)));
                    }
                }
                return new double[]{correct, loss, block.rows()};
            }).fold(new double[]{0, 0, 0}, (a, b) -> new double[]{a[0] + b[0], a[1] + b[1], a[2] + b[2]});
            return sums[2] == 0 ? new double[]{Double.NaN, Double.NaN}
                    : new double[]{sums[0] / sums[2], sums[1] / sums[2]};
        } finally {
            shipped.destroy();
        }
    }

    static int argMax(float[] row, int width) {
        int best = 0;
        for (int i = 1; i < width; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
