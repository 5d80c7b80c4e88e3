package io.distillery.train;

import io.distillery.config.DistilleryException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * DL4J's own {@link ParameterAveragingTrainingMaster} as a round engine whose round is a whole epoch (DL4J runs its
 * averaging rounds inside {@code fit}), selectable with {@code train.backend = dl4j} and kept as the peer our
 * {@link AveragingEngine} is measured against. It trains one plain network and is fed the same minibatches in the
 * same order. Uses the {@code Direct} approach (the default {@code Export} refuses non-local masters on a
 * {@code file:} default file system), does not cache the input itself (DL4J persists it with MEMORY_ONLY_SER, and
 * Spark 3.5 refuses to change a storage level), and turns on {@code saveUpdater}, which defaults to false despite
 * its Javadoc. DL4J takes each partition for a worker, so it needs one block per worker (a larger
 * {@code train.block-mb}); it also holds its whole input in memory, so it cannot train beyond memory.
 */
public final class Dl4jEpochEngine implements RoundEngine {
    private final JavaSparkContext sc;
    private final JavaRDD<TrainingBlock> blocks;
    private final TrainedModel model;
    private final long seed;
    private final int batchSize;
    private final int averagingFrequency;

    public Dl4jEpochEngine(JavaSparkContext sc, TrainingBlocks blocks, TrainedModel model, long seed,
                           int batchSize, int averagingFrequency) {
        if (model.blueprint().graph()) {
            throw new DistilleryException("train.backend = dl4j trains plain networks only; "
                    + "feature and relation loss terms need train.backend = distillery.");
        }
        BlockLayout layout = blocks.layout();
        if (layout.blocksPerWorker() > 1) {
            long rows = 0;
            for (int w = 0; w < layout.workers(); w++) {
                rows = Math.max(rows, layout.rowsOf(w));
            }
            throw new DistilleryException("train.backend = dl4j needs each worker's rows in one block, and they "
                    + "were packed in " + layout.blocksPerWorker() + " (up to " + rows + " rows per worker); raise "
                    + "train.block-mb or use train.backend = distillery, which trains beyond memory.");
        }
        this.sc = sc;
        this.blocks = blocks.rdd();
        this.model = model;
        this.seed = seed;
        this.batchSize = batchSize;
        this.averagingFrequency = averagingFrequency;
    }

    @Override
    public int roundsPerEpoch() {
        return 1;
    }

    @Override
    public Map<String, RoundOutcome> run(TrainingState state) {
        Network net = model.blueprint().build();
        state.model(model.name()).applyTo(net);
        int epoch = state.epoch();
        // The second argument is the number of examples in each DataSet of the RDD: each of ours is a minibatch.
        // Declaring 1 makes DL4J glue batchSize of them into one giant minibatch and count far too few splits.
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(
                blocks.getNumPartitions(), batchSize)
                .batchSizePerWorker(batchSize)
                .averagingFrequency(averagingFrequency)
                .workerPrefetchNumBatches(0)
                .saveUpdater(true)
                .repartionData(Repartition.Never)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .rngSeed(seed + epoch)
                .build();
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc, net.asMultiLayer(), master);
        JavaRDD<DataSet> minibatches = blocks.mapPartitionsWithIndex(new Minibatches(seed, epoch, batchSize), true);
        spark.fit(minibatches);
        // DL4J persists its input (MEMORY_ONLY_SER) and never releases it: one copy per epoch would pile up.
        minibatches.unpersist(false);
        MultiLayerNetwork trained = spark.getNetwork();
        return Map.of(model.name(), new RoundOutcome(ModelState.of(Network.of(trained)), spark.getScore(), 1,
                java.util.Set.of()));
    }

    @Override
    public void close() {
        // Nothing cached by this engine.
    }

    /** The epoch's shuffled minibatches of one partition, as DL4J DataSets of one minibatch each. */
    private record Minibatches(long seed, int epoch, int batchSize)
            implements Function2<Integer, Iterator<TrainingBlock>, Iterator<DataSet>> {
        @Override
        public Iterator<DataSet> call(Integer partition, Iterator<TrainingBlock> it) {
            List<DataSet> out = new ArrayList<>();
            while (it.hasNext()) {
                TrainingBlock block = it.next();
                int[] order = EpochOrder.permutation(block.rows(), seed, epoch, partition);
                for (int b = 0; b < block.batchCount(batchSize); b++) {
                    out.add(block.minibatch(order, b, batchSize));
                }
            }
            return out.iterator();
        }
    }
}
