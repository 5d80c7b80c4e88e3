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
 * Both parameter-averaging backends on real Spark ({@code local[2]}) learn a synthetic 3-class problem, and a
 * resumed run continues from its checkpoint.
 */
class AveragingBackendTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = io.distillery.testing.LocalSpark.session(AveragingBackendTest.class);
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    /** Lets another test class build the blobs on its own context. */
    static void useContext(JavaSparkContext context) {
        sc = context;
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Three Gaussian blobs in 8 dimensions, split over two partitions. */
    static JavaRDD<TrainingBlock> blobs(int rowsPerPartition, long seed) {
        List<TrainingBlock> blocks = new ArrayList<>();
        Random rng = new Random(seed);
        for (int p = 0; p < 2; p++) {
            float[] x = new float[rowsPerPartition * 8];
            float[] y = new float[rowsPerPartition * 3];
            for (int r = 0; r < rowsPerPartition; r++) {
                int c = rng.nextInt(3);
                for (int j = 0; j < 8; j++) {
                    x[r * 8 + j] = (float) (rng.nextGaussian() + (j % 3 == c ? 2.0 : 0.0));
                }
                y[r * 3 + c] = 1f;
            }
            blocks.add(new TrainingBlock(rowsPerPartition, 8, 3, x, y));
        }
        return sc.parallelize(blocks, 2);
    }

    static MultiLayerNetwork freshNet() {
        ModelSpec spec = new ModelSpec(List.of(new LayerSpec("dense", "hidden", 16, 2, 1, "relu", 0)), "adam", 0.01,
                0, 0, 0);
        return ModelFactory.build(spec, 8, List.of(), 3, new LossMCXENT(), 7);
    }

    private static Provenance provenance() {
        return new Provenance("test", "now", Map.of(), 7, "{}", List.of(), Map.of());
    }

    @Test
    void ourBackendLearnsAndResumes(@TempDir Path dir) {
        JavaRDD<TrainingBlock> train = blobs(400, 1).persist(StorageLevel.MEMORY_ONLY());
        JavaRDD<TrainingBlock> test = blobs(200, 2);
        TrainSpec spec = new TrainSpec(3, 32, 4, 2, "distillery");
        HeldOutAccuracy heldOut = new HeldOutAccuracy(sc, test, 3, 256);
        Checkpoints checkpoints = new Checkpoints(ArtifactFiles.local(), dir.resolve("ckpt").toString());
        MultiLayerNetwork trained;
        try (AveragingBackend backend = new AveragingBackend(sc, train, spec, 7, freshNet())) {
            trained = new DistributedTrainer("test", spec, checkpoints, provenance())
                    .train(backend, freshNet(), false, heldOut::of);
        }
        assertTrue(heldOut.of(trained) > 0.9, "held-out accuracy " + heldOut.of(trained));
        assertEquals(2, checkpoints.latestEpoch().orElseThrow());

        // A run asked for one more epoch resumes after epoch 3 instead of starting over...
        TrainSpec longer = new TrainSpec(4, 32, 4, 2, "distillery");
        MultiLayerNetwork resumed;
        try (AveragingBackend backend = new AveragingBackend(sc, train, longer, 7, freshNet())) {
            resumed = new DistributedTrainer("test", longer, checkpoints, provenance())
                    .train(backend, freshNet(), true, heldOut::of);
        }
        assertEquals(3, checkpoints.latestEpoch().orElseThrow());
        assertEquals(4, resumed.getEpochCount());
        // ...and is exactly the run that did epoch 4 straight after epoch 3.
        MultiLayerNetwork continued = checkpoints.load(2);
        continued = checkpoints.load(3);
        assertArrayEquals(resumed.params().data().asFloat(), continued.params().data().asFloat(), 0f);
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
    void ourBackendTrainsATrainingGraphAndResumesIt(@TempDir Path dir) {
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
        java.util.function.Supplier<org.deeplearning4j.nn.graph.ComputationGraph> fresh =
                () -> io.distillery.model.TrainingGraph.build(conf, plain.get());
        int[] segments = {0, 6, 6, 4, 6, 4};
        JavaRDD<TrainingBlock> train = blobsWithTaps(400, 1).persist(StorageLevel.MEMORY_ONLY());
        HeldOutAccuracy heldOut = new HeldOutAccuracy(sc, blobs(200, 2), 3, 256);
        MultiLayerNetwork target = plain.get();
        java.util.function.ToDoubleFunction<org.deeplearning4j.nn.graph.ComputationGraph> accuracy =
                g -> heldOut.of(io.distillery.model.TrainingGraph.export(g, target));

        // Straight through 3 epochs...
        TrainSpec three = new TrainSpec(3, 32, 4, 2, "distillery");
        Checkpoints straight = new Checkpoints(ArtifactFiles.local(), dir.resolve("straight").toString());
        org.deeplearning4j.nn.graph.ComputationGraph once;
        try (AveragingBackend backend = new AveragingBackend(sc, train, three, 7, fresh.get(), segments)) {
            once = new DistributedTrainer("graph", three, straight, provenance())
                    .train(backend, fresh.get(), false, accuracy);
        }
        assertTrue(accuracy.applyAsDouble(once) > 0.9, "held-out accuracy " + accuracy.applyAsDouble(once));
        assertEquals(3, once.getConfiguration().getEpochCount());

        // ...equals 2 epochs, then a resumed run from the checkpoint (parameters, Adam state, iteration count).
        TrainSpec two = new TrainSpec(2, 32, 4, 2, "distillery");
        Checkpoints split = new Checkpoints(ArtifactFiles.local(), dir.resolve("split").toString());
        try (AveragingBackend backend = new AveragingBackend(sc, train, two, 7, fresh.get(), segments)) {
            new DistributedTrainer("graph", two, split, provenance()).train(backend, fresh.get(), false, accuracy);
        }
        org.deeplearning4j.nn.graph.ComputationGraph resumed;
        try (AveragingBackend backend = new AveragingBackend(sc, train, three, 7, fresh.get(), segments)) {
            resumed = new DistributedTrainer("graph", three, split, provenance())
                    .train(backend, fresh.get(), true, accuracy);
        }
        assertEquals(2, split.latestEpoch().orElseThrow());
        assertEquals(once.getIterationCount(), resumed.getIterationCount());
        assertArrayEquals(once.params().data().asFloat(), resumed.params().data().asFloat(), 1e-5f);
        assertArrayEquals(once.getUpdater().getStateViewArray().data().asFloat(),
                resumed.getUpdater().getStateViewArray().data().asFloat(), 1e-5f);
    }

    @Test
    void dl4jBackendLearns() {
        JavaRDD<TrainingBlock> train = blobs(400, 1);
        JavaRDD<TrainingBlock> test = blobs(200, 2);
        TrainSpec spec = new TrainSpec(3, 32, 4, 2, "dl4j");
        MultiLayerNetwork net = freshNet();
        try (Dl4jParameterAveragingBackend backend = new Dl4jParameterAveragingBackend(sc, train, spec, 7)) {
            for (int e = 0; e < spec.epochs(); e++) {
                backend.fitEpoch(net, e);
            }
        }
        double accuracy = new HeldOutAccuracy(sc, test, 3, 256).of(net);
        assertTrue(accuracy > 0.9, "held-out accuracy " + accuracy);
    }
}
