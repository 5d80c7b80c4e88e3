package io.distillery.train;

import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.config.TrainSpec;
import io.distillery.model.ModelFactory;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The round loop on real Spark ({@code local[2]}): our engine averages exactly as the algorithm says (checked
 * against the algorithm written out on the driver), both engines learn a synthetic 3-class problem, and a run
 * resumed from a checkpoint of its whole state ends with the same parameters as one that was never interrupted.
 */
class RoundLoopTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = io.distillery.testing.LocalSpark.session(RoundLoopTest.class);
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Three Gaussian blobs in 8 dimensions, split over two partitions. */
    static JavaRDD<TrainingBlock> blobs(int rowsPerPartition, long seed) {
        return blobsOn(sc, rowsPerPartition, seed);
    }

    /** {@link #blobs} on another test class's context. */
    static JavaRDD<TrainingBlock> blobsOn(JavaSparkContext sc, int rowsPerPartition, long seed) {
        List<TrainingBlock> blocks = new ArrayList<>();
        Random rng = new Random(seed);
        for (int p = 0; p < 2; p++) {
            blocks.add(blob(rowsPerPartition, rng));
        }
        return sc.parallelize(blocks, 2);
    }

    static MultiLayerNetwork freshNet() {
        ModelSpec spec = new ModelSpec(List.of(new LayerSpec("dense", "hidden", 16, 2, 1, "relu", 0)), "adam", 0.01,
                0, 0, 0);
        return ModelFactory.build(spec, 8, List.of(), 3, new LossMCXENT(), 7);
    }

    static Provenance provenance() {
        return new Provenance("test", "now", Map.of(), 7, "{}", List.of(), Map.of());
    }

    /** Trains model "m" from {@code fresh} for {@code epochs} epochs (or resumes from {@code ckpt}). */
    static TrainingState train(Network fresh, JavaRDD<TrainingBlock> blocks, int[] ranges, int epochs,
                               Checkpoints ckpt, boolean resume) {
        TrainedModel model = new TrainedModel("m", fresh.blueprint(), ranges, new int[0]);
        TrainingState state = resume ? ckpt.latest().orElseThrow()
                : new TrainingState(Map.of("m", ModelState.of(fresh)));
        try (AveragingEngine engine = new AveragingEngine(sc, TrainingBlocks.onePerWorker(blocks), List.of(model), RoundStep.FIT, 7, 32, 4)) {
            return new RoundLoop(engine, List.of(new CheckpointListener(ckpt, provenance(), 0)), epochs).run(state);
        }
    }

    @Test
    void averagesExactlyAsTheAlgorithmSays(@TempDir Path dir) {
        JavaRDD<TrainingBlock> blocks = blobs(150, 1).persist(StorageLevel.MEMORY_ONLY());
        TrainingState state = train(Network.of(freshNet()), blocks, new int[]{0, 3}, 2,
                new Checkpoints(ArtifactFiles.local(), dir.toString()), false);
        // The same algorithm written out on the driver: every round each partition starts from the average, fits
        // its next 4 minibatches of the epoch's order, and the states are averaged weighted by minibatches fitted.
        List<TrainingBlock> parts = blocks.collect();
        ModelState avg = ModelState.of(Network.of(freshNet()));
        for (int epoch = 0; epoch < 2; epoch++) {
            for (int round = 0; round < 2; round++) {
                List<ModelState> after = new ArrayList<>();
                List<Integer> weights = new ArrayList<>();
                for (int part = 0; part < parts.size(); part++) {
                    Network worker = Network.of(freshNet());
                    avg.applyTo(worker);
                    TrainingBlock b = parts.get(part);
                    int[] order = EpochOrder.permutation(b.rows(), 7, epoch, part);
                    int last = Math.min(b.batchCount(32), 4 * round + 4);
                    for (int k = 4 * round; k < last; k++) {
                        worker.fit(b.multiMinibatch(order, k, 32, new int[]{0, 3}));
                    }
                    after.add(ModelState.of(worker));
                    weights.add(last - 4 * round);
                }
                avg = weightedAverage(after, weights);
            }
        }
        assertEquals(2, state.epoch());
        assertEquals(4, state.round());
        assertArrayEquals(avg.params(), state.model("m").params(), 0f);
        assertArrayEquals(avg.updater(), state.model("m").updater(), 0f);
        assertEquals(avg.iteration(), state.model("m").iteration());
    }

    @Test
    void withManyBlocksPerWorkerEachRoundReadsOneBlockPerWorkerInTheDocumentedOrder() {
        // 2 workers x 3 blocks (worker 0: partitions 0-2, worker 1: 3-5) of unequal sizes, so rounds end blocks
        // early and worker 1 runs out of minibatches before worker 0.
        int[] rows = {150, 70, 40, 100, 64, 33};
        Random rng = new Random(5);
        List<TrainingBlock> parts = new ArrayList<>();
        for (int n : rows) {
            parts.add(blob(n, rng));
        }
        JavaRDD<TrainingBlock> rdd = sc.parallelize(parts, parts.size()).persist(StorageLevel.MEMORY_ONLY());
        TrainingBlocks blocks = TrainingBlocks.of(rdd, 2);
        Network fresh = Network.of(freshNet());
        TrainedModel model = new TrainedModel("m", fresh.blueprint(), new int[]{0, 3}, new int[0]);
        TrainingState state;
        try (AveragingEngine engine = new AveragingEngine(sc, blocks, List.of(model), RoundStep.FIT, 7, 32, 4)) {
            // Worker 0: 5 + 3 + 2 minibatches = 2 + 1 + 1 rounds; worker 1: 4 + 2 + 2 = 1 + 1 + 1.
            assertEquals(4, engine.roundsPerEpoch());
            state = new RoundLoop(engine, List.of(), 2).run(new TrainingState(Map.of("m", ModelState.of(fresh))));
        }
        // Written out: in each epoch a worker takes its blocks in the layout's visiting order, each block's rows in
        // their permutation of (seed, epoch, block partition), 4 minibatches per round at most and never two blocks
        // in one round; every round averages what the workers fitted, weighted by their minibatches.
        BlockLayout layout = new BlockLayout(2, rows);
        ModelState avg = ModelState.of(Network.of(freshNet()));
        for (int epoch = 0; epoch < 2; epoch++) {
            List<List<int[]>> schedule = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                List<int[]> mine = new ArrayList<>();
                for (int block : layout.visitingOrder(7, epoch, w)) {
                    int batches = parts.get(block).batchCount(32);
                    for (int first = 0; first < batches; first += 4) {
                        mine.add(new int[]{block, first, Math.min(batches, first + 4)});
                    }
                }
                schedule.add(mine);
            }
            for (int round = 0; round < 4; round++) {
                List<ModelState> after = new ArrayList<>();
                List<Integer> weights = new ArrayList<>();
                for (List<int[]> mine : schedule) {
                    if (round >= mine.size()) {
                        continue;
                    }
                    int[] step = mine.get(round);
                    Network worker = Network.of(freshNet());
                    avg.applyTo(worker);
                    TrainingBlock b = parts.get(step[0]);
                    int[] order = EpochOrder.permutation(b.rows(), 7, epoch, step[0]);
                    for (int k = step[1]; k < step[2]; k++) {
                        worker.fit(b.multiMinibatch(order, k, 32, new int[]{0, 3}));
                    }
                    after.add(ModelState.of(worker));
                    weights.add(step[2] - step[1]);
                }
                avg = weightedAverage(after, weights);
            }
        }
        assertEquals(8, state.round());
        assertArrayEquals(avg.params(), state.model("m").params(), 0f);
        assertArrayEquals(avg.updater(), state.model("m").updater(), 0f);
        assertEquals(avg.iteration(), state.model("m").iteration());
    }

    /** {@code rows} rows of the three blobs of {@link #blobs}. */
    private static TrainingBlock blob(int rows, Random rng) {
        float[] x = new float[rows * 8];
        float[] y = new float[rows * 3];
        for (int r = 0; r < rows; r++) {
            int c = rng.nextInt(3);
            for (int j = 0; j < 8; j++) {
                x[r * 8 + j] = (float) (rng.nextGaussian() + (j % 3 == c ? 2.0 : 0.0));
            }
            y[r * 3 + c] = 1f;
        }
        return new TrainingBlock(rows, 8, 3, x, y);
    }

    /** The average of worker states weighted by their minibatches, summed in double as the engine does. */
    private static ModelState weightedAverage(List<ModelState> states, List<Integer> weights) {
        double[] p = new double[states.get(0).params().length];
        double[] u = new double[states.get(0).updater().length];
        long total = 0;
        int iteration = 0;
        for (int s = 0; s < states.size(); s++) {
            ModelState st = states.get(s);
            for (int i = 0; i < p.length; i++) {
                p[i] += (double) st.params()[i] * weights.get(s);
            }
            for (int i = 0; i < u.length; i++) {
                u[i] += (double) st.updater()[i] * weights.get(s);
            }
            total += weights.get(s);
            iteration = Math.max(iteration, st.iteration());
        }
        float[] pf = new float[p.length];
        float[] uf = new float[u.length];
        for (int i = 0; i < p.length; i++) {
            pf[i] = (float) (p[i] / total);
        }
        for (int i = 0; i < u.length; i++) {
            uf[i] = (float) (u[i] / total);
        }
        return new ModelState(pf, uf, iteration);
    }

    @Test
    void learnsAndResumesFromTheWholeState(@TempDir Path dir) {
        JavaRDD<TrainingBlock> train = blobs(400, 1).persist(StorageLevel.MEMORY_ONLY());
        HeldOutAccuracy heldOut = new HeldOutAccuracy(sc, TrainingBlocks.onePerWorker(blobs(200, 2)), 3, 256);
        Network.Blueprint blueprint = Network.of(freshNet()).blueprint();
        Checkpoints straight = new Checkpoints(ArtifactFiles.local(), dir.resolve("straight").toString());
        TrainingState once = train(Network.of(freshNet()), train, new int[]{0, 3}, 3, straight, false);
        assertTrue(heldOut.of(blueprint, once.model("m")) > 0.9, "held-out accuracy "
                + heldOut.of(blueprint, once.model("m")));
        assertEquals(3, straight.latest().orElseThrow().epoch());

        // Two epochs, then a resumed run from the checkpoint: exactly the run that did epoch 3 straight away.
        Checkpoints split = new Checkpoints(ArtifactFiles.local(), dir.resolve("split").toString());
        train(Network.of(freshNet()), train, new int[]{0, 3}, 2, split, false);
        TrainingState resumed = train(Network.of(freshNet()), train, new int[]{0, 3}, 3, split, true);
        assertEquals(3, resumed.epoch());
        assertEquals(once.round(), resumed.round());
        assertArrayEquals(once.model("m").params(), resumed.model("m").params(), 0f);
        assertArrayEquals(once.model("m").updater(), resumed.model("m").updater(), 0f);
    }

    /**
     * Blobs whose labels are {@code [one-hot | teacher logits | a 4-wide teacher tap]}, as a training graph with
     * auxiliary heads reads them.
     */
    static JavaRDD<TrainingBlock> blobsWithTaps(int rowsPerPartition, long seed) {
        List<TrainingBlock> blocks = new ArrayList<>();
        for (TrainingBlock b : blobs(rowsPerPartition, seed).collect()) {
            float[] y = new float[b.rows() * 10];
            float[] x = new float[b.rows() * 8];
            for (int r = 0; r < b.rows(); r++) {
                float[] label = b.labelRow(r);
                float[] features = b.features(r, r + 1).data().asFloat();
                System.arraycopy(features, 0, x, r * 8, 8);
                for (int c = 0; c < 3; c++) {
                    y[r * 10 + c] = label[c];
                    y[r * 10 + 3 + c] = 4f * label[c];
                }
                for (int j = 0; j < 4; j++) {
                    y[r * 10 + 6 + j] = 0.5f * features[j] * features[j + 4];
                }
            }
            blocks.add(new TrainingBlock(b.rows(), 8, 10, x, y));
        }
        return sc.parallelize(blocks, 2);
    }

    @Test
    void trainsATrainingGraphAndResumesIt(@TempDir Path dir) {
        io.distillery.loss.Objective objective = io.distillery.loss.Objective.of(List.of(
                new io.distillery.loss.Objective.Entry("kd", 0.5, Map.of("temperature", 2)),
                new io.distillery.loss.Objective.Entry("ce", 0.5, Map.of()),
                new io.distillery.loss.Objective.Entry("hint", 1.0, Map.of("student-layer", "hidden",
                        "teacher-layer", "tap")),
                new io.distillery.loss.Objective.Entry("similarity", 10.0, Map.of("student-layer", "hidden",
                        "teacher-layer", "tap"))));
        ModelSpec model = new ModelSpec(List.of(new LayerSpec("dense", "hidden", 16, 2, 1, "relu", 0)), "adam", 0.01,
                0, 0, 0);
        var conf = io.distillery.model.TrainingGraph.configuration(model, 8, List.of(), 3, objective,
                Map.of("tap", new int[] {4}), 7);
        java.util.function.Supplier<MultiLayerNetwork> plain = () -> ModelFactory.build(model, 8, List.of(), 3,
                objective.response(), 7);
        java.util.function.Supplier<Network> fresh =
                () -> Network.of(io.distillery.model.TrainingGraph.build(conf, plain.get()));
        int[] segments = {0, 6, 6, 4, 6, 4};
        JavaRDD<TrainingBlock> train = blobsWithTaps(400, 1).persist(StorageLevel.MEMORY_ONLY());
        HeldOutAccuracy heldOut = new HeldOutAccuracy(sc, TrainingBlocks.onePerWorker(blobs(200, 2)), 3, 256);
        MultiLayerNetwork target = plain.get();

        // Straight through 3 epochs...
        Checkpoints straight = new Checkpoints(ArtifactFiles.local(), dir.resolve("straight").toString());
        TrainingState once = train(fresh.get(), train, segments, 3, straight, false);
        Network graph = fresh.get();
        once.model("m").applyTo(graph);
        double accuracy = heldOut.of(io.distillery.model.TrainingGraph.export(
                (org.deeplearning4j.nn.graph.ComputationGraph) graph.model(), target));
        assertTrue(accuracy > 0.9, "held-out accuracy " + accuracy);

        // ...equals 2 epochs, then a resumed run from the checkpoint (parameters, Adam state, iteration count).
        Checkpoints split = new Checkpoints(ArtifactFiles.local(), dir.resolve("split").toString());
        train(fresh.get(), train, segments, 2, split, false);
        TrainingState resumed = train(fresh.get(), train, segments, 3, split, true);
        assertEquals(once.model("m").iteration(), resumed.model("m").iteration());
        assertArrayEquals(once.model("m").params(), resumed.model("m").params(), 0f);
        assertArrayEquals(once.model("m").updater(), resumed.model("m").updater(), 0f);
    }

    @Test
    void dl4jEngineLearns() {
        JavaRDD<TrainingBlock> train = blobs(400, 1);
        Network fresh = Network.of(freshNet());
        TrainedModel model = new TrainedModel("m", fresh.blueprint(), new int[]{0, 3}, new int[0]);
        TrainingState state;
        try (Dl4jEpochEngine engine = new Dl4jEpochEngine(sc, TrainingBlocks.onePerWorker(train), model, 7, 32, 4)) {
            state = new RoundLoop(engine, List.of(), 3).run(new TrainingState(Map.of("m", ModelState.of(fresh))));
        }
        double accuracy = new HeldOutAccuracy(sc, TrainingBlocks.onePerWorker(blobs(200, 2)), 3, 256).of(fresh.blueprint(), state.model("m"));
        assertTrue(accuracy > 0.9, "held-out accuracy " + accuracy);
    }
}
