package io.distillery.model;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.train.Network;
import io.distillery.train.SelfDistillationStepProbe;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The multi-exit student of self-distillation: every exit back-propagates into the shared layers (DL4J's gradient
 * check of the whole graph against finite differences, double precision), the saved and loaded model predicts the
 * same at every exit, the self-distillation step gives the shallow exits the deepest exit's prediction, and bad exits
 * fail in one sentence.
 */
class ExitGraphTest {
    private static final int C = 3;
    private DataType defaultType;
    private DataType defaultFloat;

    @BeforeEach
    void doublePrecision() {
        defaultType = Nd4j.dataType();
        defaultFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterEach
    void restore() {
        Nd4j.setDefaultDataTypes(defaultType, defaultFloat);
    }

    private static ModelSpec threeHidden() {
        return new ModelSpec(List.of(
                new LayerSpec("dense", "hidden1", 5, 2, 1, "tanh", 0),
                new LayerSpec("dense", "hidden2", 4, 2, 1, "tanh", 0),
                new LayerSpec("dense", "hidden3", 4, 2, 1, "tanh", 0)), "sgd", 1.0, 0, 0, 0);
    }

    private static ComputationGraph graph(List<String> exits) {
        return graph(exits, false, 0.0);
    }

    /** The test student with {@code exits} (T = 2, alpha = 0.6), in double precision for gradient checks. */
    private static ComputationGraph graph(List<String> exits, boolean withTeacher, double hintWeight) {
        ComputationGraphConfiguration conf = ExitGraph.configuration(threeHidden(), 6, List.of(), C, exits, 2.0, 0.6,
                withTeacher, hintWeight, 7);
        conf.setDataType(DataType.DOUBLE);
        return ExitGraph.build(conf);
    }

    private static INDArray random(Random rnd, int n, int d, double scale) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = scale * rnd.nextGaussian();
            }
        }
        return Nd4j.create(x);
    }

    private static INDArray oneHot(Random rnd, int n, boolean someHidden) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, C);
        for (int i = 0; i < n; i++) {
            if (!someHidden || i % 3 != 0) {
                y.putScalar(i, rnd.nextInt(C), 1.0);
            }
        }
        return y;
    }

    @Test
    void everyExitBackpropagatesIntoTheSharedLayers() {
        ComputationGraph g = graph(List.of("hidden1", "hidden2"));
        assertEquals(List.of("output", "exit-hidden1", "exit-hidden2"), g.getConfiguration().getNetworkOutputs());
        Random rnd = new Random(11);
        int n = 6;
        INDArray hard = oneHot(rnd, n, true);
        INDArray[] labels = {Nd4j.hstack(hard, random(rnd, n, C, 2)), Nd4j.hstack(hard, random(rnd, n, C, 2)),
                Nd4j.hstack(hard, random(rnd, n, C, 2))};
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[]{random(rnd, n, 6, 1)}).labels(labels)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    @Test
    void savedAndLoadedModelPredictsTheSameAtEveryExit(@TempDir Path dir) throws IOException {
        ComputationGraph g = graph(List.of("hidden1", "hidden2"));
        Random rnd = new Random(3);
        INDArray x = random(rnd, 8, 6, 1);
        INDArray hard = oneHot(rnd, 8, false);
        MultiDataSet batch = new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x},
                new INDArray[]{hard, hard, hard});
        for (int i = 0; i < 5; i++) {
            Network.of(g).fit(SelfDistillationStepProbe.withTeacher(Network.of(g), batch));
        }
        File file = dir.resolve("exits.zip").toFile();
        ModelSerializer.writeModel(g, file, true);
        ComputationGraph loaded = ModelSerializer.restoreComputationGraph(file, true);
        for (String exit : List.of("output", "exit-hidden1", "exit-hidden2")) {
            assertEquals(ExitGraph.predict(g, x, exit), ExitGraph.predict(loaded, x, exit), exit);
        }
        DistilleryException e = assertThrows(DistilleryException.class, () -> ExitGraph.predict(g, x, "exit-h9"));
        assertTrue(e.getMessage().contains("'exit-h9'"), e.getMessage());
    }

    @Test
    void aNetworkUpToAnExitPredictsWhatTheGraphDoesThere() {
        ComputationGraph g = graph(List.of("hidden1", "hidden2"));
        Random rnd = new Random(9);
        INDArray x = random(rnd, 5, 6, 1);
        for (String exit : List.of("exit-hidden1", "exit-hidden2", "output")) {
            org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = ExitGraph.upTo(g, exit, threeHidden(), 6,
                    List.of(), C, new org.nd4j.linalg.lossfunctions.impl.LossMCXENT(), 7);
            INDArray expected = ExitGraph.predict(g, x, exit);
            // The exported network computes in float32 (ModelFactory's default), the test graph in float64.
            INDArray got = net.output(x.castTo(net.params().dataType()), false).castTo(DataType.DOUBLE);
            assertTrue(expected.equalsWithEps(got, 1e-6), exit + ": " + expected + " vs " + got);
        }
        assertEquals(2, ExitGraph.upTo(g, "exit-hidden1", threeHidden(), 6, List.of(), C,
                new org.nd4j.linalg.lossfunctions.impl.LossMCXENT(), 7).getnLayers(), "stops at the exit");
    }

    /**
     * With a teacher store every head's loss is a composite on its own labels: the deepest exit's
     * {@code [y | t]}, a shallow exit's {@code [y | log p_deepest | t]} (the deepest prediction inserted by the
     * step); the graph's gradients match finite differences.
     */
    @Test
    void withAStoredTeacherEveryExitLearnsFromItAndShallowOnesFromTheDeepestToo() {
        ComputationGraph g = graph(List.of("hidden1", "hidden2"), true, 0.0);
        Random rnd = new Random(21);
        int n = 5;
        INDArray x = random(rnd, n, 6, 1);
        INDArray packed = Nd4j.hstack(oneHot(rnd, n, true), random(rnd, n, C, 2));
        MultiDataSet taught = SelfDistillationStepProbe.withStoredTeacher(Network.of(g),
                new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x}, new INDArray[]{packed, packed, packed}));
        assertEquals(packed, taught.getLabels(0), "the deepest exit learns the label and the stored teacher");
        INDArray deepest = ExitGraph.predict(g, x, "output");
        for (int k = 1; k < 3; k++) {
            INDArray labels = taught.getLabels(k);
            assertEquals(3 * C, labels.size(1));
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < C; c++) {
                    assertEquals(packed.getDouble(i, c), labels.getDouble(i, c), 0.0);
                    assertEquals(Math.log(deepest.getDouble(i, c)), labels.getDouble(i, C + c), 1e-12);
                    assertEquals(packed.getDouble(i, C + c), labels.getDouble(i, 2 * C + c), 0.0);
                }
            }
        }
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[]{x}).labels(taught.getLabels())
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    /**
     * Feature hints: each exit's regressor learns the last hidden layer's current activation (the step's labels,
     * after the classifiers'), and the whole graph's gradients, hints included, match finite differences.
     */
    @Test
    void hintsLearnTheLastHiddenLayersActivation() {
        ComputationGraph g = graph(List.of("hidden1", "hidden2"), false, 0.7);
        assertEquals(List.of("output", "exit-hidden1", "exit-hidden2", "hint-hidden1", "hint-hidden2"),
                g.getConfiguration().getNetworkOutputs());
        Random rnd = new Random(17);
        int n = 5;
        INDArray x = random(rnd, n, 6, 1);
        INDArray hard = oneHot(rnd, n, true);
        MultiDataSet taught = SelfDistillationStepProbe.taught(Network.of(g),
                new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x},
                        new INDArray[]{hard, hard, hard, hard, hard}), false, 3, ExitGraph.hintTarget(threeHidden()));
        INDArray last = g.feedForward(x, false).get("hidden3");
        assertEquals(last, taught.getLabels(3));
        assertEquals(last, taught.getLabels(4));
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(g)
                .inputs(new INDArray[]{x}).labels(taught.getLabels())
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    @Test
    void shallowExitsLearnTheDeepestExitsPrediction() {
        ComputationGraph g = graph(List.of("hidden2"));
        Random rnd = new Random(5);
        INDArray x = random(rnd, 4, 6, 1);
        INDArray hard = oneHot(rnd, 4, true);
        MultiDataSet taught = SelfDistillationStepProbe.withTeacher(Network.of(g),
                new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{x}, new INDArray[]{hard, hard}));
        assertEquals(hard, taught.getLabels(0).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, C)), "the deepest exit learns the label only");
        INDArray deepest = ExitGraph.predict(g, x, "output");
        INDArray exit = taught.getLabels(1);
        assertEquals(2 * C, exit.size(1));
        for (int i = 0; i < 4; i++) {
            for (int c = 0; c < C; c++) {
                assertEquals(hard.getDouble(i, c), exit.getDouble(i, c), 0.0);
                assertEquals(Math.log(deepest.getDouble(i, c)), exit.getDouble(i, C + c), 1e-12);
            }
        }
    }

    @Test
    void exitsMustBeInnerHiddenLayersEachOnce() {
        for (List<String> bad : List.of(List.of("hidden3"), List.of("nope"), List.of("hidden1", "hidden1"),
                List.<String>of())) {
            DistilleryException e = assertThrows(DistilleryException.class, () -> graph(bad), bad::toString);
            assertTrue(e.getMessage().contains("[hidden1, hidden2]") || e.getMessage().contains("twice"),
                    e.getMessage());
        }
    }
}
