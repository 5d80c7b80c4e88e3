package io.distillery.jobs;

import io.distillery.model.ExitGraph;
import io.distillery.store.ArtifactFiles;
import io.distillery.model.ModelArtifact;
import io.distillery.testing.Cli;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Self-distillation through {@code run}: the multi-exit student and its comparison (exits on labels alone) are
 * trained, saved as the whole graph and as one plain network per exit that predicts what the graph does there, and
 * {@code evaluate} reports every exit; a bad exit fails before any Spark job in one sentence.
 */
class SelfDistillTest {
    @TempDir
    static Path base;
    private static Path train;

    @BeforeAll
    static void slice() {
        train = base.resolve("train");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("SelfDistillTest")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.read().parquet(Cli.sampleTrain().toString()).orderBy("id").limit(600).coalesce(2)
                    .write().parquet(train.toString());
        } finally {
            spark.stop();
        }
    }

    private static Path conf() {
        return Cli.repo().resolve("conf/fashion-mnist-self-distill.conf");
    }

    private static List<String> small(Path runDir, String... more) {
        List<String> o = Cli.runOn(runDir, train);
        o.addAll(List.of("student.model.layers=[{type=dense,name=hidden1,units=24},{type=dense,name=hidden2,units=16},"
                + "{type=dense,name=hidden3,units=16}]", "student.train.epochs=2"));
        o.addAll(List.of(more));
        return o;
    }

    @Test
    void runTrainsBothSavesEveryExitAndEvaluatesThem() throws IOException {
        Path runDir = base.resolve("run");
        Cli.Result r = Cli.run(Cli.args("run", conf(), small(runDir)));
        assertEquals(0, r.exit(), r::toString);
        ArtifactFiles files = new ArtifactFiles(new Configuration());
        List<String> exits = List.of("output", "exit-hidden1", "exit-hidden2");
        for (String dir : List.of("self-distill", "self-distill-alone")) {
            Path out = runDir.resolve(dir);
            ComputationGraph graph = ModelArtifact.loadGraph(files, out.toString());
            assertEquals(exits, graph.getConfiguration().getNetworkOutputs());
            String metadata = Files.readString(out.resolve("metadata.json"));
            assertTrue(metadata.contains("held-out-accuracy-by-exit") && metadata.contains("exit-hidden2="),
                    metadata);
            INDArray x = Nd4j.rand(graph.params().dataType(), 7, 784);
            for (String exit : exits) {
                MultiLayerNetwork upTo = ModelArtifact.load(files, out.resolve("exits/" + exit).toString());
                assertTrue(ExitGraph.predict(graph, x, exit).equalsWithEps(upTo.output(x, false), 1e-5),
                        dir + " " + exit);
            }
        }
        assertTrue(Files.readString(runDir.resolve("self-distill/metadata.json"))
                .contains("exits: 0.9 * ce + 0.1 * kd(T=3.0) from output"), "alpha 0.1");
        assertTrue(Files.readString(runDir.resolve("self-distill-alone/metadata.json"))
                .contains("exits: 1.0 * ce + 0.0 * kd(T=3.0) from output"), "the comparison has no kd");
        String metrics = Files.readString(runDir.resolve("evaluation/metrics.json"));
        for (String model : List.of("self-distill@output", "self-distill@exit-hidden1", "alone@exit-hidden2")) {
            assertTrue(metrics.contains("\"" + model + "\""), model + " not in " + metrics);
        }
    }

    /**
     * With the teacher's store and feature hints: run makes the teacher and its store first, every exit learns from
     * the store too, and each exit's hint learns the last hidden layer; the exported exits are still plain networks.
     */
    @Test
    void withATeacherStoreAndHintsEveryExitAlsoLearnsFromTheTeacher() throws IOException {
        Path runDir = base.resolve("with-teacher");
        Cli.Result r = Cli.run(Cli.args("run", conf(), small(runDir, "self-distill.teacher=true",
                "self-distill.alpha=0.5", "self-distill.hint-weight=1",
                "teacher.model.layers=[{type=dense,name=h1,units=32}]", "teacher.train.epochs=1",
                "soft-targets.taps=[]")));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(Files.exists(runDir.resolve("soft-targets/_SUCCESS")), "the store was made first");
        String taught = Files.readString(runDir.resolve("self-distill/metadata.json"));
        assertTrue(taught.contains("output: 0.5 * ce + 0.5 * kd(T=3.0) from the teacher; exits: 0.5 * ce + 0.5 * "
                + "mean(kd(T=3.0) from output, kd(T=3.0) from the teacher) + 1.0 * hint(exit -> hidden3)"), taught);
        ComputationGraph graph = ModelArtifact.loadGraph(new ArtifactFiles(new Configuration()),
                runDir.resolve("self-distill").toString());
        assertEquals(List.of("output", "exit-hidden1", "exit-hidden2", "hint-hidden1", "hint-hidden2"),
                graph.getConfiguration().getNetworkOutputs());
        assertTrue(taught.contains("\"role\" : \"store\"") && taught.contains("teacher-hash"), taught);
        String alone = Files.readString(runDir.resolve("self-distill-alone/metadata.json"));
        assertTrue(alone.contains("\"role\" : \"train-data\"")
                && alone.contains("\"loss\" : \"output: ce; exits: 1.0 * ce + 0.0 * kd(T=3.0) from output\""), alone);
        String metrics = Files.readString(runDir.resolve("evaluation/metrics.json"));
        for (String model : List.of("teacher", "self-distill@output", "self-distill@exit-hidden1", "alone@output")) {
            assertTrue(metrics.contains("\"" + model + "\""), model + " not in " + metrics);
        }
    }

    @Test
    void anExitOnTheLastHiddenLayerIsRefusedBeforeAnyWork() {
        Path runDir = base.resolve("bad");
        Cli.Result r = Cli.run(Cli.args("run", conf(), small(runDir, "self-distill.exits=[hidden3]")));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("'hidden3'") && r.error().contains("[hidden1, hidden2]"), r.error());
        assertFalse(Files.exists(runDir.resolve("self-distill")));
    }
}
