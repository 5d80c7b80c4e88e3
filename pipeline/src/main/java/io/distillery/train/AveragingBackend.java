package io.distillery.train;

import io.distillery.config.TrainSpec;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.UUID;

/**
 * Our parameter averaging on plain Spark: each round broadcasts the averaged state, every worker fits
 * {@code averagingFrequency} minibatches of its cached partition ({@link RoundFunction}), and a {@code treeReduce}
 * sums the workers' states weighted by the minibatches they fitted. Compared with DL4J's
 * {@code ParameterAveragingTrainingMaster} it keeps each partition's rows decoded and cached across rounds and
 * epochs, reuses the worker networks, and ships plain float arrays instead of serialized networks.
 *
 * <p>The network may also be a {@link ComputationGraph} with several outputs (a student's training graph with
 * auxiliary heads); each output's labels are then a range of the blocks' label columns.
 */
public final class AveragingBackend implements TrainingBackend {
    private final JavaSparkContext sc;
    private final JavaRDD<TrainingBlock> blocks;
    private final TrainSpec spec;
    private final long seed;
    private final String configurationJson;
    private final String trainingId = UUID.randomUUID().toString();
    private final int maxBatchesPerPartition;
    private final int[] outputSegments;

    /**
     * @param blocks one cached {@link TrainingBlock} per partition
     */
    public AveragingBackend(JavaSparkContext sc, JavaRDD<TrainingBlock> blocks, TrainSpec spec, long seed,
                            MultiLayerNetwork template) {
        this(sc, blocks, spec, seed, template.getLayerWiseConfigurations().toJson(), null);
    }

    /**
     * A backend for a graph with several outputs.
     *
     * @param outputSegments the label columns of each of the graph's outputs as (offset, width) pairs, in the
     *                       order of its outputs
     */
    public AveragingBackend(JavaSparkContext sc, JavaRDD<TrainingBlock> blocks, TrainSpec spec, long seed,
                            ComputationGraph template, int[] outputSegments) {
        this(sc, blocks, spec, seed, template.getConfiguration().toJson(), outputSegments.clone());
        if (outputSegments.length != 2 * template.getNumOutputArrays()) {
            throw new IllegalArgumentException(template.getNumOutputArrays() + " outputs but "
                    + outputSegments.length / 2 + " label segments");
        }
    }

    private AveragingBackend(JavaSparkContext sc, JavaRDD<TrainingBlock> blocks, TrainSpec spec, long seed,
                             String configurationJson, int[] outputSegments) {
        this.sc = sc;
        this.blocks = blocks;
        this.spec = spec;
        this.seed = seed;
        this.configurationJson = configurationJson;
        this.outputSegments = outputSegments;
        int batchSize = spec.batchSize();
        this.maxBatchesPerPartition = blocks.map(b -> b.batchCount(batchSize)).fold(0, Math::max);
    }

    @Override
    public double fitEpoch(Model net, int epoch) {
        if ((net instanceof ComputationGraph) != (outputSegments != null)) {
            throw new IllegalArgumentException("this backend was built for a "
                    + (outputSegments != null ? "ComputationGraph" : "MultiLayerNetwork"));
        }
        int rounds = (maxBatchesPerPartition + spec.averagingFrequency() - 1) / spec.averagingFrequency();
        double loss = 0;
        long batches = 0;
        for (int round = 0; round < rounds; round++) {
            Broadcast<ModelState> state = sc.broadcast(ModelState.of(net));
            try {
                RoundResult result = blocks.mapPartitionsWithIndex(new RoundFunction(state, configurationJson,
                                trainingId, seed, epoch, round, spec.batchSize(), spec.averagingFrequency(),
                                outputSegments), true)
                        .treeReduce(RoundResult::merge);
                result.average().applyTo(net);
                loss += result.lossSum;
                batches += result.batches;
            } finally {
                state.destroy();
            }
        }
        if (net instanceof ComputationGraph g) {
            g.getConfiguration().setEpochCount(epoch + 1);
        } else {
            ((MultiLayerNetwork) net).setEpochCount(epoch + 1);
        }
        return batches == 0 ? Double.NaN : loss / batches;
    }

    @Override
    public void close() {
        WorkerModels.release(trainingId);
    }
}
