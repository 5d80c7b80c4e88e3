package io.distillery.model;

import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantisation-aware training with {@code model.quantize = int8}: the network computes with int8 weights, its
 * gradient is the straight-through estimator (the float network's gradient at the quantised weights), and the
 * quantiser survives saving and loading.
 */
class FakeInt8WeightsTest {
    private static final List<Integer> IMAGE = List.of(1, 6, 6);

    private static ModelSpec dense(String quantize) {
        return new ModelSpec(List.of(new LayerSpec("dense", "hidden", 5, 2, 1, "tanh", 0)), "adam", 1e-3, 0, 0, 0,
                quantize);
    }

    private static ModelSpec conv(String quantize) {
        return new ModelSpec(List.of(new LayerSpec("conv", "conv", 3, 3, 1, "relu", 0),
                new LayerSpec("pool", "pool", 0, 2, 2, "identity", 0)), "adam", 1e-3, 0, 0, 0, quantize);
    }

    private static MultiLayerNetwork build(ModelSpec spec, int width, List<Integer> shape, long seed) {
        MultiLayerNetwork net = ModelFactory.build(spec, width, shape, 3, new LossMCXENT(), 1);
        Nd4j.getRandom().setSeed(seed);
        net.params().assign(Nd4j.randn(DataType.FLOAT, net.params().shape()).muli(0.5));
        return net;
    }

    /** The float network whose weights are {@code quantized}'s weights rounded to int8 (its biases unchanged). */
    private static MultiLayerNetwork roundedCopy(MultiLayerNetwork quantized, ModelSpec floatSpec, int width,
                                                 List<Integer> shape) {
        MultiLayerNetwork plain = ModelFactory.build(floatSpec, width, shape, 3, new LossMCXENT(), 1);
        plain.params().assign(quantized.params());
        for (int i = 0; i < plain.getnLayers(); i++) {
            if (plain.getLayer(i).paramTable().containsKey("W")) {
                INDArray w = quantized.getLayer(i).getParam("W");
                plain.getLayer(i).setParam("W", Int8Weights.fakeQuantize(w,
                        FakeInt8Weights.outputChannelAxis(quantized.getLayer(i).conf().getLayer())));
            }
        }
        return plain;
    }

    private static DataSet batch(int n, int width, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, width);
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, 3);
        for (int r = 0; r < n; r++) {
            y.putScalar(r, r % 3, 1f);
        }
        return new DataSet(x, y);
    }

    private static void assertStraightThrough(ModelSpec quantizedSpec, ModelSpec floatSpec, int width,
                                              List<Integer> shape) {
        MultiLayerNetwork quantized = build(quantizedSpec, width, shape, 3);
        MultiLayerNetwork rounded = roundedCopy(quantized, floatSpec, width, shape);
        DataSet data = batch(8, width, 4);

        // Forward: the quantised network computes exactly what the float network with rounded weights computes...
        assertArrayEquals(rounded.output(data.getFeatures()).ravel().toFloatVector(),
                quantized.output(data.getFeatures()).ravel().toFloatVector(), 1e-6f);
        // ... which is not what its own float weights compute (the check could fail).
        MultiLayerNetwork unrounded = ModelFactory.build(floatSpec, width, shape, 3, new LossMCXENT(), 1);
        unrounded.params().assign(quantized.params());
        assertTrue(unrounded.output(data.getFeatures()).sub(quantized.output(data.getFeatures())).amaxNumber()
                .doubleValue() > 1e-4, "rounding to int8 changed no output");

        // Backward: the gradient with respect to the float weights is the rounded network's gradient (the STE).
        quantized.setInput(data.getFeatures());
        quantized.setLabels(data.getLabels());
        quantized.computeGradientAndScore();
        rounded.setInput(data.getFeatures());
        rounded.setLabels(data.getLabels());
        rounded.computeGradientAndScore();
        assertEquals(rounded.score(), quantized.score(), 1e-6);
        assertArrayEquals(rounded.gradient().gradient().ravel().toFloatVector(),
                quantized.gradient().gradient().ravel().toFloatVector(), 1e-6f);
    }

    @Test
    void denseGradientIsTheStraightThroughEstimator() {
        assertStraightThrough(dense(ModelSpec.INT8), dense(ModelSpec.NO_QUANTIZATION), 7, List.of());
    }

    @Test
    void convolutionalGradientIsTheStraightThroughEstimator() {
        assertStraightThrough(conv(ModelSpec.INT8), conv(ModelSpec.NO_QUANTIZATION), 36, IMAGE);
    }

    @Test
    void trainingUpdatesTheFloatWeightsUnderneath() {
        MultiLayerNetwork net = build(dense(ModelSpec.INT8), 7, List.of(), 3);
        INDArray before = net.getLayer(0).getParam("W").dup();
        DataSet data = batch(16, 7, 4);
        for (int step = 0; step < 3; step++) {
            net.fit(data);
        }
        INDArray after = net.getLayer(0).getParam("W");
        // Adam moves each weight by about the learning rate per step, far less than the int8 step of ~0.01-0.02:
        // had the optimiser stored rounded weights, they would not have moved by such small amounts.
        double moved = after.sub(before).amaxNumber().doubleValue();
        assertTrue(moved > 1e-4 && moved < 5e-3, "largest weight change " + moved);
    }

    @Test
    void theQuantiserIsSavedWithTheModel() throws IOException {
        MultiLayerNetwork net = build(dense(ModelSpec.INT8), 7, List.of(), 3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        MultiLayerNetwork loaded = ModelSerializer.restoreMultiLayerNetwork(
                new ByteArrayInputStream(bytes.toByteArray()));
        for (int i = 0; i < loaded.getnLayers(); i++) {
            assertInstanceOf(FakeInt8Weights.class,
                    ((BaseLayer) loaded.getLayer(i).conf().getLayer()).getWeightNoise());
        }
        INDArray x = batch(5, 7, 9).getFeatures();
        assertArrayEquals(net.output(x).ravel().toFloatVector(), loaded.output(x).ravel().toFloatVector(), 0f);
        MultiLayerNetwork plain = build(dense(ModelSpec.NO_QUANTIZATION), 7, List.of(), 3);
        assertNull(((BaseLayer) plain.getLayer(0).conf().getLayer()).getWeightNoise());
    }
}
