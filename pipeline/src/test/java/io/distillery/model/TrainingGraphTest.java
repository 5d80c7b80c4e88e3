package io.distillery.model;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.loss.Objective;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training graph: every auxiliary head back-propagates into the student layers (DL4J's gradient check of the
 * whole graph in double precision), its configuration survives the JSON round trip executors rely on, the exported
 * plain network predicts exactly what the graph's main output does, and bad layer names fail in one sentence.
 */
class TrainingGraphTest {
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

    private static ModelSpec dense(String updater, double lr) {
        return new ModelSpec(List.of(
                new LayerSpec("dense", "hidden1", 5, 2, 1, "tanh", 0),
                new LayerSpec("dense", "hidden2", 4, 2, 1, "tanh", 0)), updater, lr, 0, 0, 0);
    }

    private static Objective objective(Map<String, Object>... features) {
        List<Objective.Entry> entries = new java.util.ArrayList<>(List.of(
                new Objective.Entry("kd", 0.7, Map.of("temperature", 2)),
                new Objective.Entry("ce", 0.3, Map.of())));
        for (Map<String, Object> f : features) {
            Map<String, Object> p = new java.util.HashMap<>(f);
            String term = (String) p.remove("term");
            double w = ((Number) p.remove("weight")).doubleValue();
            entries.add(new Objective.Entry(term, w, p));
        }
        return Objective.of(entries);
    }

    private static INDArray random(Random rnd, int n, int d) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = rnd.nextGaussian();
            }
        }
        return Nd4j.create(x);
    }

    private static INDArray responseLabels(Random rnd, int n, int c) {
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, 2 * c);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, rnd.nextInt(c), 1.0);
            for (int j = 0; j < c; j++) {
                y.putScalar(i, c + j, 2 * rnd.nextGaussian());
            }
        }
        return y;
    }

    @Test
    void denseHeadsBackpropagateIntoTheStudent() {
        Objective o = objective(
                Map.of("term", "hint", "weight", 0.8, "student-layer", "hidden1", "teacher-layer", "t1"),
                Map.of("term", "similarity", "weight", 2.0, "student-layer", "hidden2", "teacher-layer", "t2"),
                Map.of("term", "rkd", "weight", 0.05, "student-layer", "hidden1", "teacher-layer", "t2"));
        Map<String, int[]> teacher = Map.of("t1", new int[] {3}, "t2", new int[] {6});
        ComputationGraphConfiguration conf = TrainingGraph.configuration(dense("sgd", 1.0), 6, List.of(), 3, o,
                teacher, 7);
        conf.setDataType(DataType.DOUBLE);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        assertEquals(List.of("output", "aux0-hint", "aux1-similarity", "aux2-rkd"), TrainingGraph.outputs(o));

        Random rnd = new Random(3);
        int n = 5;
        INDArray[] labels = {responseLabels(rnd, n, 3), random(rnd, n, 3), random(rnd, n, 6), random(rnd, n, 6)};
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                .inputs(new INDArray[] {random(rnd, n, 6)}).labels(labels)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    @Test
    void anInt8StudentQuantisesItsOwnLayersButNotTheHintRegressor() {
        ModelSpec float32 = dense("adam", 1e-3);
        ModelSpec int8 = new ModelSpec(float32.layers(), "adam", 1e-3, 0, 0, 0, ModelSpec.INT8);
        Objective o = objective(
                Map.of("term", "hint", "weight", 0.8, "student-layer", "hidden1", "teacher-layer", "t1"));
        ComputationGraphConfiguration conf = TrainingGraph.configuration(int8, 6, List.of(), 3, o,
                Map.of("t1", new int[] {3}), 7);
        for (String layer : List.of("hidden1", "hidden2", "output")) {
            assertTrue(noise(conf, layer) instanceof FakeInt8Weights, layer);
        }
        // The regressor exists only in training: quantising it would cost accuracy and save nothing.
        assertEquals(null, noise(conf, "aux0-hint-regressor"));
        assertEquals(null, noise(TrainingGraph.configuration(float32, 6, List.of(), 3, o,
                Map.of("t1", new int[] {3}), 7), "hidden1"));
    }

    private static Object noise(ComputationGraphConfiguration conf, String layer) {
        var vertex = (org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get(layer);
        return ((org.deeplearning4j.nn.conf.layers.BaseLayer) vertex.getLayerConf().getLayer()).getWeightNoise();
    }

    @Test
    void convolutionalHeadsBackpropagateIntoTheStudent() {
        // 1x6x6 input -> conv 3x3 (2 channels, 4x4) -> dense 4 -> output 3; teacher taps of 3 channels at 4x4.
        ModelSpec spec = new ModelSpec(List.of(
                new LayerSpec("conv", "conv1", 2, 3, 1, "tanh", 0),
                new LayerSpec("dense", "hidden1", 4, 2, 1, "tanh", 0)), "sgd", 1.0, 0, 0, 0);
        Objective o = objective(
                Map.of("term", "attention", "weight", 50.0, "student-layer", "conv1", "teacher-layer", "c"),
                Map.of("term", "hint", "weight", 1.0, "student-layer", "conv1", "teacher-layer", "c"));
        Map<String, int[]> teacher = Map.of("c", new int[] {3, 4, 4});
        ComputationGraphConfiguration conf = TrainingGraph.configuration(spec, 36, List.of(1, 6, 6), 3, o, teacher,
                11);
        conf.setDataType(DataType.DOUBLE);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        // FitNets' convolutional regressor: 1x1, 2 -> 3 channels (6 weights + 3 biases).
        assertEquals(9, graph.getLayer("aux1-hint-regressor").numParams());
        Random rnd = new Random(5);
        int n = 3;
        INDArray[] labels = {responseLabels(rnd, n, 3), random(rnd, n, 48), random(rnd, n, 48)};
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(graph)
                .inputs(new INDArray[] {random(rnd, n, 36)}).labels(labels)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    @Test
    void exportedStudentPredictsWhatTheGraphsOutputDoes() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        Objective o = objective(
                Map.of("term", "hint", "weight", 1.0, "student-layer", "hidden1", "teacher-layer", "t1"),
                Map.of("term", "rkd", "weight", 1.0, "student-layer", "hidden2", "teacher-layer", "t1"));
        ModelSpec spec = dense("adam", 0.01);
        Map<String, int[]> teacher = Map.of("t1", new int[] {7});
        ComputationGraphConfiguration conf = TrainingGraph.configuration(spec, 6, List.of(), 3, o, teacher, 5);
        // Executors rebuild the graph from JSON: the custom losses must survive it.
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        MultiLayerNetwork start = ModelFactory.build(spec, 6, List.of(), 3, o.response(), 5);
        ComputationGraph graph = TrainingGraph.build(conf, start);
        INDArray x = random(new Random(1), 8, 6).castTo(DataType.FLOAT);
        assertEquals(start.output(x), graph.output(false, x)[0],
                "the graph starts from the plain student's parameters");

        Random rnd = new Random(2);
        for (int step = 0; step < 5; step++) {
            graph.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {x},
                    new INDArray[] {responseLabels(rnd, 8, 3).castTo(DataType.FLOAT),
                            random(rnd, 8, 7).castTo(DataType.FLOAT), random(rnd, 8, 7).castTo(DataType.FLOAT)}));
        }
        MultiLayerNetwork exported = TrainingGraph.export(graph, ModelFactory.build(spec, 6, List.of(), 3,
                o.response(), 99));
        assertEquals(graph.output(false, x)[0], exported.output(x));
        assertEquals(List.of("hidden1", "hidden2", "output"), exported.getLayerNames());
        assertEquals(start.numParams(), exported.numParams());
    }

    @Test
    void badLayersFailInOneSentence() {
        Map<String, int[]> teacher = Map.of("t1", new int[] {7}, "c", new int[] {3, 4, 4});
        DistilleryException student = assertThrows(DistilleryException.class, () -> TrainingGraph.configuration(
                dense("adam", 0.01), 6, List.of(), 3, objective(Map.of("term", "hint", "weight", 1.0,
                        "student-layer", "hiden1", "teacher-layer", "t1")), teacher, 1));
        assertEquals("Key student-layer of distillery.distill.loss term 'hint' is 'hiden1', which is not a hidden "
                + "layer of the student; its hidden layers are [hidden1, hidden2].", student.getMessage());
        DistilleryException tap = assertThrows(DistilleryException.class, () -> TrainingGraph.configuration(
                dense("adam", 0.01), 6, List.of(), 3, objective(Map.of("term", "similarity", "weight", 1.0,
                        "student-layer", "hidden1", "teacher-layer", "t9")), teacher, 1));
        assertTrue(tap.getMessage().startsWith("Key teacher-layer of distillery.distill.loss term 'similarity' is "
                + "'t9', which the soft-target store does not hold; its taps are "), tap.getMessage());
        DistilleryException attention = assertThrows(DistilleryException.class, () -> TrainingGraph.configuration(
                dense("adam", 0.01), 6, List.of(), 3, objective(Map.of("term", "attention", "weight", 1.0,
                        "student-layer", "hidden1", "teacher-layer", "c")), teacher, 1));
        assertTrue(attention.getMessage().startsWith("Loss term 'attention' compares convolutional layers"),
                attention.getMessage());
    }
}
