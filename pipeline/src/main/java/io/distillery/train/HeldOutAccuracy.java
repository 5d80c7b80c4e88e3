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

    public HeldOutAccuracy(JavaSparkContext sc, JavaRDD<TrainingBlock> blocks, int numClasses, int batchSize) {
        this.sc = sc;
        this.blocks = blocks;
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
        Broadcast<ModelState> shipped = sc.broadcast(state);
        int classes = numClasses;
        int batch = batchSize;
        try {
            long[] counts = blocks.map(block -> {
                Network worker = blueprint.build();
                shipped.value().applyTo(worker);
                long correct = 0;
                for (int from = 0; from < block.rows(); from += batch) {
                    int to = Math.min(block.rows(), from + batch);
                    INDArray predicted = worker.output(block.features(from, to)).argMax(1);
                    for (int i = from; i < to; i++) {
                        if (predicted.getInt(i - from) == argMax(block.labelRow(i), classes)) {
                            correct++;
                        }
                    }
                }
                return new long[]{correct, block.rows()};
            }).fold(new long[]{0, 0}, (a, b) -> new long[]{a[0] + b[0], a[1] + b[1]});
            return counts[1] == 0 ? Double.NaN : (double) counts[0] / counts[1];
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
