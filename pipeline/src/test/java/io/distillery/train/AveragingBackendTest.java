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
