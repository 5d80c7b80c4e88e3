package io.distillery.onnx;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.model.ExitGraph;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.ModelFactory;
import onnx.Onnx;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX export run by ONNX Runtime against DL4J on the same rows: logits, probabilities and taps agree within
 * 1e-4 for every activation the config accepts, for convolutional networks with max and average pooling, and for a
 * self-distillation student's exits; unsupported layers and corrupt models are refused in one sentence.
 */
class OnnxExporterTest {
    private static final double TOLERANCE = 1e-4;
    /** Every activation {@code LayerSpec} accepts. */
    private static final List<String> ACTIVATIONS = List.of("relu", "relu6", "leakyrelu", "elu", "selu", "gelu",
            "swish", "mish", "tanh", "hardtanh", "sigmoid", "hardsigmoid", "softplus", "softsign", "identity");

    private static ModelSpec spec(LayerSpec... layers) {
        return new ModelSpec(List.of(layers), "adam", 1e-3, 0, 0, 0);
    }

    private static LayerSpec dense(String name, int units, String activation, double dropout) {
        return new LayerSpec("dense", name, units, 2, 1, activation, dropout);
    }

    /** Random parameters (DL4J starts biases at 0, which would hide a bias mistake). */
    private static MultiLayerNetwork randomized(MultiLayerNetwork net, long seed) {
        Nd4j.getRandom().setSeed(seed);
        net.params().assign(Nd4j.randn(DataType.FLOAT, net.params().shape()).muli(0.4));
        return net;
    }

    private static float[] rows(int n, int width, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 1.5);
        }
        return x;
    }

    /** Exports {@code net} with {@code taps}, runs both engines on {@code n} random rows, compares every output. */
    private static void assertSameOutputs(MultiLayerNetwork net, int width, List<String> taps, int n) {
        float[] x = rows(n, width, 11);
        INDArray features = Nd4j.create(x, new long[]{n, width}, 'c');
        LogitsAndTaps.Result dl4j = new LogitsAndTaps(net, taps).forward(features);
        INDArray probabilities = net.output(features, false);
        List<String> outputs = new ArrayList<>(List.of(OnnxExporter.LOGITS, OnnxExporter.PROBABILITIES));
        outputs.addAll(taps);
        try (OnnxModel onnx = OnnxModel.open(OnnxExporter.export(net, taps), "the export", 1)) {
            assertEquals(width, onnx.inputWidth());
            assertEquals(outputs, onnx.outputNames());
            float[][][] out = onnx.run(x, n, outputs);
            assertClose(dl4j.logits(), out[0], "logits");
            assertClose(probabilities, out[1], "probabilities");
            for (int t = 0; t < taps.size(); t++) {
                assertClose(dl4j.taps()[t], out[2 + t], "tap " + taps.get(t));
            }
        }
    }

    private static void assertClose(INDArray expected, float[][] actual, String what) {
        assertEquals(expected.size(0), actual.length, what + " rows");
        INDArray flat = expected.reshape('c', expected.size(0), expected.length() / expected.size(0));
        assertEquals(flat.size(1), actual[0].length, what + " width");
        double worst = 0;
        for (int r = 0; r < actual.length; r++) {
            for (int c = 0; c < actual[r].length; c++) {
                worst = Math.max(worst, Math.abs(flat.getDouble(r, c) - actual[r][c]));
            }
        }
        assertTrue(worst <= TOLERANCE, what + ": largest difference " + worst);
    }

    @Test
    void denseNetworksWithEveryActivationMatchDl4j() {
        for (String activation : ACTIVATIONS) {
            MultiLayerNetwork net = randomized(ModelFactory.build(spec(dense("h1", 7, activation, 0.3),
                    dense("h2", 5, "relu", 0.5)), 6, List.of(), 3, new LossMCXENT(), 1), 3);
            try {
                assertSameOutputs(net, 6, List.of("h1", "h2"), 9);
            } catch (AssertionError e) {
                throw new AssertionError("activation " + activation + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void convolutionalNetworksMatchDl4j() {
        ModelSpec cnn = spec(new LayerSpec("conv", "conv1", 3, 3, 1, "relu", 0),
                new LayerSpec("pool", "pool1", 0, 2, 2, "relu", 0),
                new LayerSpec("conv", "conv2", 4, 2, 1, "tanh", 0.2),
                dense("fc", 6, "relu", 0));
        MultiLayerNetwork net = randomized(ModelFactory.build(cnn, 2 * 9 * 9, List.of(2, 9, 9), 5,
                new LossMCXENT(), 2), 4);
        assertSameOutputs(net, 2 * 9 * 9, List.of("conv1", "pool1", "conv2", "fc"), 7);
    }

    @Test
    void averagePoolingPaddingStridesAndDropoutLayersMatchDl4j() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new ConvolutionLayer.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(3).name("conv")
                        .activation(Activation.ELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG).kernelSize(2, 2).stride(1, 1)
                        .name("avg").build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(1, 1)
                        .padding(1, 1).name("max").build())
                .layer(new DropoutLayer.Builder(0.5).name("drop").build())
                .layer(new DenseLayer.Builder().nOut(4).hasBias(false).activation(Activation.SIGMOID).name("fc")
                        .build())
                .layer(new OutputLayer.Builder(new LossMCXENT()).nOut(3).activation(Activation.SOFTMAX)
                        .name(ModelSpec.OUTPUT_LAYER).build())
                .setInputType(InputType.convolutionalFlat(10, 11, 1)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        assertSameOutputs(randomized(net, 5), 110, List.of("avg", "max", "fc", ModelSpec.OUTPUT_LAYER), 5);
    }

    @Test
    void everyExitOfASelfDistillationStudentMatchesDl4j() {
        ModelSpec student = spec(dense("hidden1", 8, "relu", 0), dense("hidden2", 6, "tanh", 0),
                dense("hidden3", 5, "relu", 0));
        ComputationGraph graph = ExitGraph.build(ExitGraph.configuration(student, 6, List.of(), 3,
                List.of("hidden1", "hidden2"), 3.0, 0.1, 7));
        Nd4j.getRandom().setSeed(9);
        graph.params().assign(Nd4j.randn(DataType.FLOAT, graph.params().shape()).muli(0.4));
        for (String exit : List.of(ExitGraph.exitName("hidden1"), ExitGraph.exitName("hidden2"),
                ModelSpec.OUTPUT_LAYER)) {
            MultiLayerNetwork upTo = ExitGraph.upTo(graph, exit, student, 6, List.of(), 3, new LossMCXENT(), 7);
            assertSameOutputs(upTo, 6, List.of(), 8);
            // And the export's probabilities are the graph's own prediction at that exit.
            float[] x = rows(4, 6, 13);
            INDArray expected = ExitGraph.predict(graph, Nd4j.create(x, new long[]{4, 6}, 'c'), exit);
            try (OnnxModel onnx = OnnxModel.open(OnnxExporter.export(upTo), exit, 1)) {
                assertClose(expected, onnx.run(x, 4, List.of(OnnxExporter.PROBABILITIES))[0], exit);
            }
        }
    }

    private static ModelSpec int8(ModelSpec spec) {
        return new ModelSpec(spec.layers(), spec.updater(), spec.learningRate(), spec.l2(), 0, 0, ModelSpec.INT8);
    }

    /** Data types of the model's initializers with at least {@code minElements} elements, in graph order. */
    private static List<Onnx.TensorProto.DataType> largeInitializerTypes(byte[] model, long minElements)
            throws InvalidProtocolBufferException {
        List<Onnx.TensorProto.DataType> types = new ArrayList<>();
        for (Onnx.TensorProto t : Onnx.ModelProto.parseFrom(model).getGraph().getInitializerList()) {
            if (t.getDimsList().stream().reduce(1L, (a, b) -> a * b) >= minElements) {
                types.add(t.getDataType());
            }
        }
        return types;
    }

    @Test
    void int8TrainedNetworksExportTheirInt8WeightsAndMatchDl4j() throws InvalidProtocolBufferException {
        ModelSpec mlp = spec(dense("h1", 64, "relu", 0), dense("h2", 64, "tanh", 0));
        MultiLayerNetwork quantized = randomized(ModelFactory.build(int8(mlp), 64, List.of(), 10,
                new LossMCXENT(), 1), 3);
        // DL4J computes with the fake-quantised weights; ONNX Runtime with the stored int8 ones, dequantized.
        assertSameOutputs(quantized, 64, List.of("h1", "h2"), 9);
        byte[] int8Model = OnnxExporter.export(quantized);
        assertEquals(List.of(Onnx.TensorProto.DataType.INT8, Onnx.TensorProto.DataType.INT8,
                Onnx.TensorProto.DataType.INT8), largeInitializerTypes(int8Model, 640));
        MultiLayerNetwork plain = ModelFactory.build(mlp, 64, List.of(), 10, new LossMCXENT(), 1);
        plain.params().assign(quantized.params());
        byte[] floatModel = OnnxExporter.export(plain);
        assertEquals(List.of(Onnx.TensorProto.DataType.FLOAT, Onnx.TensorProto.DataType.FLOAT,
                Onnx.TensorProto.DataType.FLOAT), largeInitializerTypes(floatModel, 640));
        // Each weight takes 1 byte instead of 4; the scales, zero points and DequantizeLinear nodes cost a little
        // (here 1.2 kB): the int8 file saves more than 2.8 of the 3 bytes per weight.
        long weights = 64 * 64 + 64 * 64 + 64 * 10;
        assertTrue(floatModel.length - int8Model.length > 2.8 * weights,
                "int8 model " + int8Model.length + " bytes against float " + floatModel.length);

        ModelSpec cnn = spec(new LayerSpec("conv", "conv1", 4, 3, 1, "relu", 0),
                new LayerSpec("pool", "pool1", 0, 2, 2, "relu", 0), dense("fc", 6, "relu", 0));
        assertSameOutputs(randomized(ModelFactory.build(int8(cnn), 2 * 9 * 9, List.of(2, 9, 9), 5,
                new LossMCXENT(), 2), 4), 2 * 9 * 9, List.of("conv1", "fc"), 7);
    }

    @Test
    void postTrainingQuantisationStoresAFloatNetworksWeightsRoundedToInt8() {
        MultiLayerNetwork net = randomized(ModelFactory.build(spec(dense("h1", 12, "relu", 0)), 6, List.of(), 3,
                new LossMCXENT(), 1), 8);
        MultiLayerNetwork rounded = net.clone();
        for (int i = 0; i < rounded.getnLayers(); i++) {
            rounded.getLayer(i).setParam("W", io.distillery.model.Int8Weights.fakeQuantize(
                    rounded.getLayer(i).getParam("W"), 1));
        }
        float[] x = rows(9, 6, 21);
        INDArray features = Nd4j.create(x, new long[]{9, 6}, 'c');
        try (OnnxModel onnx = OnnxModel.open(OnnxExporter.export(net, List.of(), true), "ptq", 1)) {
            float[][] probabilities = onnx.run(x, 9, List.of(OnnxExporter.PROBABILITIES))[0];
            assertClose(rounded.output(features, false), probabilities, "int8 probabilities");
            double change = 0;
            INDArray exact = net.output(features, false);
            for (int r = 0; r < 9; r++) {
                for (int c = 0; c < 3; c++) {
                    change = Math.max(change, Math.abs(exact.getDouble(r, c) - probabilities[r][c]));
                }
            }
            assertTrue(change > TOLERANCE, "rounding the weights changed no probability by more than " + change);
        }
    }

    @Test
    void unsupportedLayersAndUnknownTapsAreRefusedInOneSentence() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nOut(4).name("h1").build())
                .layer(new BatchNormalization.Builder().name("bn").build())
                .layer(new OutputLayer.Builder(new LossMCXENT()).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(3)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DistilleryException e = assertThrows(DistilleryException.class, () -> OnnxExporter.export(net));
        assertEquals("Layer 'bn' is a BatchNormalization, which the ONNX exporter does not support; it exports "
                + "dense, output, convolution, subsampling (max, avg), dropout and activation layers.", e.getMessage());

        MultiLayerNetwork mlp = ModelFactory.build(spec(dense("h1", 4, "relu", 0)), 3, List.of(), 2,
                new LossMCXENT(), 1);
        DistilleryException tap = assertThrows(DistilleryException.class,
                () -> OnnxExporter.export(mlp, List.of("nope")));
        assertEquals("Tap 'nope' names no layer of the network; its layers are [h1, output].", tap.getMessage());
    }

    @Test
    void aCorruptModelIsRefusedInOneSentence() {
        byte[] model = OnnxExporter.export(ModelFactory.build(spec(dense("h1", 4, "relu", 0)), 3, List.of(), 2,
                new LossMCXENT(), 1));
        byte[] truncated = java.util.Arrays.copyOf(model, model.length / 2);
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> OnnxModel.open(truncated, "teacher.onnx", 1));
        assertTrue(e.getMessage().startsWith("ONNX model teacher.onnx cannot be loaded by ONNX Runtime (truncated, "
                + "corrupt or not an ONNX model): "), e.getMessage());
    }
}
