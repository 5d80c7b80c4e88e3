package io.distillery.train;

import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.config.TrainSpec;
import io.distillery.model.ModelFactory;
import io.distillery.model.TrainingGraph;
import io.distillery.loss.Objective;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The round loop trains exactly what the epoch-based trainer it replaces trained, for the same seed. */
class RoundLoopEquivalenceTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = io.distillery.testing.LocalSpark.session(RoundLoopEquivalenceTest.class);
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        AveragingBackendTest.useContext(sc);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Provenance provenance() {
        return new Provenance("test", "now", Map.of(), 7, "{}", List.of(), Map.of());
    }

    private static TrainingState train(Network fresh, JavaRDD<TrainingBlock> blocks, int[] ranges, int epochs,
                                       Path ckpt) {
        TrainedModel model = new TrainedModel("m", fresh.blueprint(), ranges, new int[0]);
        TrainingState state = new TrainingState(Map.of("m", ModelState.of(fresh)));
        try (AveragingEngine engine = new AveragingEngine(sc, blocks, List.of(model), RoundStep.FIT, 7, 32, 4)) {
            return new RoundLoop(engine, List.of(new CheckpointListener(
                    new Checkpoints(ArtifactFiles.local(), ckpt.toString()), provenance(), 0)), epochs).run(state);
        }
    }

    @Test
    void plainNetworkSameParametersAsTheEpochTrainer(@TempDir Path dir) {
        JavaRDD<TrainingBlock> blocks = AveragingBackendTest.blobs(300, 1).persist(StorageLevel.MEMORY_ONLY());
        TrainSpec spec = new TrainSpec(2, 32, 4, 2, "distillery");
        MultiLayerNetwork old;
        try (AveragingBackend backend = new AveragingBackend(sc, blocks, spec, 7, AveragingBackendTest.freshNet())) {
            old = new DistributedTrainer("old", spec, new Checkpoints(ArtifactFiles.local(),
                    dir.resolve("old").toString()), provenance())
                    .train(backend, AveragingBackendTest.freshNet(), false, n -> Double.NaN);
        }
        TrainingState state = train(Network.of(AveragingBackendTest.freshNet()), blocks, new int[]{0, 3}, 2,
                dir.resolve("new"));
        assertEquals(2, state.epoch());
        assertArrayEquals(old.params().data().asFloat(), state.model("m").params(), 0f);
        assertArrayEquals(old.getUpdater().getStateViewArray().data().asFloat(), state.model("m").updater(), 0f);
        assertEquals(old.getIterationCount(), state.model("m").iteration());
    }

    @Test
    void trainingGraphSameParametersAsTheEpochTrainer(@TempDir Path dir) {
        Objective objective = Objective.of(List.of(
                new Objective.Entry("kd", 0.5, Map.of("temperature", 2)),
                new Objective.Entry("ce", 0.5, Map.of()),
                new Objective.Entry("hint", 1.0, Map.of("student-layer", "hidden", "teacher-layer", "tap"))));
        ModelSpec model = new ModelSpec(List.of(new LayerSpec("dense", "hidden", 16, 2, 1, "relu", 0)), "adam", 0.01,
                0, 0, 0);
        var conf = TrainingGraph.configuration(model, 8, List.of(), 3, objective, Map.of("tap", new int[] {4}), 7);
        java.util.function.Supplier<ComputationGraph> fresh = () -> TrainingGraph.build(conf,
                ModelFactory.build(model, 8, List.of(), 3, objective.response(), 7));
        int[] segments = {0, 6, 6, 4};
        JavaRDD<TrainingBlock> blocks = AveragingBackendTest.blobsWithTaps(300, 1)
                .persist(StorageLevel.MEMORY_ONLY());
        TrainSpec spec = new TrainSpec(2, 32, 4, 2, "distillery");
        ComputationGraph old;
        try (AveragingBackend backend = new AveragingBackend(sc, blocks, spec, 7, fresh.get(), segments)) {
            old = new DistributedTrainer("old", spec, new Checkpoints(ArtifactFiles.local(),
                    dir.resolve("old").toString()), provenance()).train(backend, fresh.get(), false, g -> Double.NaN);
        }
        TrainingState state = train(Network.of(fresh.get()), blocks, segments, 2, dir.resolve("new"));
        assertArrayEquals(old.params().data().asFloat(), state.model("m").params(), 0f);
        assertArrayEquals(old.getUpdater().getStateViewArray().data().asFloat(), state.model("m").updater(), 0f);
    }

    @Test
    void dl4jEngineSameParametersAsTheDl4jBackend() {
        JavaRDD<TrainingBlock> blocks = AveragingBackendTest.blobs(300, 1);
        TrainSpec spec = new TrainSpec(2, 32, 4, 2, "dl4j");
        MultiLayerNetwork old = AveragingBackendTest.freshNet();
        try (Dl4jParameterAveragingBackend backend = new Dl4jParameterAveragingBackend(sc, blocks, spec, 7)) {
            for (int e = 0; e < spec.epochs(); e++) {
                backend.fitEpoch(old, e);
            }
        }
        Network fresh = Network.of(AveragingBackendTest.freshNet());
        TrainedModel model = new TrainedModel("m", fresh.blueprint(), new int[]{0, 3}, new int[0]);
        TrainingState state;
        try (Dl4jEpochEngine engine = new Dl4jEpochEngine(sc, blocks, model, 7, 32, 4)) {
            state = new RoundLoop(engine, List.of(), 2).run(new TrainingState(Map.of("m", ModelState.of(fresh))));
        }
        assertArrayEquals(old.params().data().asFloat(), state.model("m").params(), 0f);
    }
}
