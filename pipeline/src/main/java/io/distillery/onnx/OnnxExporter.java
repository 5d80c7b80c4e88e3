package io.distillery.onnx;

import io.distillery.config.DistilleryException;
import io.distillery.model.FakeInt8Weights;
import io.distillery.model.Int8Weights;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a trained DL4J {@link MultiLayerNetwork} into an ONNX model (IR 7, opset 13) for ONNX Runtime: for serving
 * a student, and for running a DL4J teacher in {@code soft-targets} with ONNX Runtime. The model reads one float input
 * {@value #INPUT} of the network's flat width (an image network reshapes it to NCHW, as DL4J's input preprocessor
 * does) and has the outputs {@value #LOGITS} (the output layer's pre-activations, what the soft-target store keeps),
 * {@value #PROBABILITIES} (the output activation applied) and one output per tapped layer, named by the layer and
 * flattened per row in DL4J's order, so that a DL4J teacher's {@code soft-targets.taps} name its ONNX outputs.
 * <p>
 * Exported: dense and output layers, convolutions (truncate mode, NCHW), max and average subsampling, dropout (the
 * identity at inference) and activation layers with every activation the config accepts. Weights are float32, or
 * int8 with a scale per output channel for layers trained with fake int8 weights ({@code model.quantize = int8}) and,
 * on request, for every layer (post-training quantisation). Anything else is refused with one sentence naming the
 * layer and its type, never exported approximately.
 */
public final class OnnxExporter {
    /** Name of the model's input. */
    public static final String INPUT = "features";
    /** Name of the output holding the output layer's pre-activations. */
    public static final String LOGITS = "logits";
    /** Name of the output holding the output layer's activation (softmax probabilities for our models). */
    public static final String PROBABILITIES = "probabilities";

    private OnnxExporter() {
    }

    /** The serialized ONNX model of {@code net} with no taps. */
    public static byte[] export(MultiLayerNetwork net) {
        return export(net, List.of());
    }

    /**
     * The serialized ONNX model of {@code net}: layers trained with {@link FakeInt8Weights} with their int8 weights,
     * the others in float32.
     *
     * @param taps layer names whose (flattened) activations become outputs of the same name
     */
    public static byte[] export(MultiLayerNetwork net, List<String> taps) {
        return export(net, taps, false);
    }

    /**
     * The serialized ONNX model of {@code net}.
     *
     * @param taps       layer names whose (flattened) activations become outputs of the same name
     * @param int8Always true to store every dense, convolution and output layer's weights as int8 (post-training
     *                   quantisation of a float32 network); false to do so only for the layers trained with
     *                   {@link FakeInt8Weights}. An int8 weight tensor is an int8 initializer, one float scale
     *                   per output channel and a {@code DequantizeLinear} node ({@link Int8Weights}); biases and
     *                   activations stay float32.
     */
    public static byte[] export(MultiLayerNetwork net, List<String> taps, boolean int8Always) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        int n = net.getnLayers();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(conf.getConf(i).getLayer().getLayerName());
        }
        for (String tap : taps) {
            if (!names.contains(tap)) {
                throw new DistilleryException("Tap '" + tap + "' names no layer of the network; its layers are "
                        + names + ".");
            }
            if (tap.equals(LOGITS) || tap.equals(PROBABILITIES) || tap.equals(INPUT)) {
                throw new DistilleryException("Tap '" + tap + "' has the name of an output the ONNX export already "
                        + "has; rename the layer.");
            }
        }
        if (!(conf.getConf(n - 1).getLayer() instanceof BaseOutputLayer)) {
            throw new DistilleryException("Layer '" + names.get(n - 1) + "' is the network's last layer but a "
                    + conf.getConf(n - 1).getLayer().getClass().getSimpleName()
                    + ", not an output layer; the ONNX exporter needs the logits of an output layer.");
        }
        OnnxGraph g = new OnnxGraph("distillery");
        long inputWidth = inputWidth(conf, net);
        g.input(INPUT, inputWidth);
        String x = INPUT;
        Map<String, Long> tapWidths = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            Layer layer = conf.getConf(i).getLayer();
            String name = names.get(i);
            x = preprocess(g, conf.getInputPreProcess(i), x, name);
            if (i == n - 1) {
                String logits = dense(g, net, i, x, LOGITS, int8Always);
                g.output(LOGITS, ((BaseOutputLayer) layer).getNOut());
                String probs = OnnxActivations.apply(g, ((BaseOutputLayer) layer).getActivationFn(), logits, name);
                g.node("Identity", PROBABILITIES, new String[]{probs});
                g.output(PROBABILITIES, ((BaseOutputLayer) layer).getNOut());
                if (taps.contains(name)) {
                    // LogitsAndTaps taps the output layer's pre-activations: the same here.
                    g.node("Identity", name, new String[]{logits});
                    tapWidths.put(name, ((BaseOutputLayer) layer).getNOut());
                }
                break;
            }
            x = hidden(g, net, i, layer, x, name, int8Always);
            if (taps.contains(name)) {
                g.node("Flatten", name, new String[]{x}, OnnxGraph.integer("axis", 1));
                tapWidths.put(name, activationWidth(net, i, inputWidth));
            }
        }
        for (String tap : taps) {
            g.output(tap, tapWidths.get(tap));
        }
        return g.model("distillery", "Exported from a DL4J network by Distillery; outputs: logits, probabilities"
                + (taps.isEmpty() ? "" : ", taps " + taps) + ".");
    }

    private static long inputWidth(MultiLayerConfiguration conf, MultiLayerNetwork net) {
        InputPreProcessor first = conf.getInputPreProcess(0);
        if (first instanceof FeedForwardToCnnPreProcessor p) {
            return p.getNumChannels() * p.getInputHeight() * p.getInputWidth();
        }
        return net.layerInputSize(0);
    }

    /** Width of layer {@code i}'s flattened activations, from one forward pass of a single zero row. */
    private static long activationWidth(MultiLayerNetwork net, int i, long inputWidth) {
        INDArray a = net.feedForwardToLayer(i, org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 1, inputWidth),
                false).get(i + 1);
        return a.length();
    }

    private static String preprocess(OnnxGraph g, InputPreProcessor p, String x, String layer) {
        if (p == null) {
            return x;
        }
        if (p instanceof FeedForwardToCnnPreProcessor f) {
            // DL4J reshapes a flat row to [channels, height, width] in C order: the same reshape.
            return g.node("Reshape", null, new String[]{x, g.int64s("shape",
                    new long[]{-1, f.getNumChannels(), f.getInputHeight(), f.getInputWidth()})});
        }
        if (p instanceof CnnToFeedForwardPreProcessor c) {
            if (c.getFormat() != CNN2DFormat.NCHW) {
                throw new DistilleryException("Layer '" + layer + "' flattens " + c.getFormat() + " activations; "
                        + "the ONNX exporter supports NCHW only.");
            }
            return g.node("Flatten", null, new String[]{x}, OnnxGraph.integer("axis", 1));
        }
        throw new DistilleryException("Layer '" + layer + "' has the input preprocessor "
                + p.getClass().getSimpleName() + ", which the ONNX exporter does not support.");
    }

    private static String hidden(OnnxGraph g, MultiLayerNetwork net, int i, Layer layer, String x, String name,
                                 boolean int8Always) {
        Class<?> type = layer.getClass();
        if (type == DenseLayer.class) {
            return OnnxActivations.apply(g, ((DenseLayer) layer).getActivationFn(),
                    dense(g, net, i, x, null, int8Always), name);
        }
        if (type == ConvolutionLayer.class) {
            return OnnxActivations.apply(g, ((ConvolutionLayer) layer).getActivationFn(),
                    conv(g, net, i, (ConvolutionLayer) layer, x, name, int8Always), name);
        }
        if (type == SubsamplingLayer.class) {
            return pool(g, (SubsamplingLayer) layer, x, name);
        }
        if (type == DropoutLayer.class) {
            return x; // dropout is the identity at inference
        }
        if (type == ActivationLayer.class) {
            return OnnxActivations.apply(g, ((ActivationLayer) layer).getActivationFn(), x, name);
        }
        throw new DistilleryException("Layer '" + name + "' is a " + type.getSimpleName() + ", which the ONNX "
                + "exporter does not support; it exports dense, output, convolution, subsampling (max, avg), dropout "
                + "and activation layers.");
    }

    /** {@code x W + b} with DL4J's {@code W [nIn, nOut]}. */
    private static String dense(OnnxGraph g, MultiLayerNetwork net, int i, String x, String output,
                                boolean int8Always) {
        Layer conf = net.getLayer(i).conf().getLayer();
        if (conf instanceof BaseOutputLayer && conf.getClass() != OutputLayer.class) {
            throw new DistilleryException("Layer '" + conf.getLayerName() + "' is a "
                    + conf.getClass().getSimpleName() + ", which the ONNX exporter does not support; it exports "
                    + "OutputLayer.");
        }
        String weights = weights(g, net, i, int8Always);
        if (!net.getLayer(i).paramTable().containsKey("b")) {
            return g.node("MatMul", output, new String[]{x, weights});
        }
        INDArray b = net.getLayer(i).getParam("b");
        return g.node("Gemm", output, new String[]{x, weights, g.floats("b", new long[]{b.length()}, floats(b))});
    }

    private static String conv(OnnxGraph g, MultiLayerNetwork net, int i, ConvolutionLayer c, String x, String name,
                               boolean int8Always) {
        checkCnn(c.getConvolutionMode(), c.getCnn2dDataFormat(), name, "convolution");
        // W [nOut, nIn, kH, kW] is ONNX's layout
        List<String> inputs = new ArrayList<>(List.of(x, weights(g, net, i, int8Always)));
        if (net.getLayer(i).paramTable().containsKey("b")) {
            INDArray b = net.getLayer(i).getParam("b");
            inputs.add(g.floats("b", new long[]{b.length()}, floats(b)));
        }
        int[] pad = c.getPadding();
        return g.node("Conv", null, inputs.toArray(new String[0]),
                OnnxGraph.ints("kernel_shape", c.getKernelSize()[0], c.getKernelSize()[1]),
                OnnxGraph.ints("strides", c.getStride()[0], c.getStride()[1]),
                OnnxGraph.ints("dilations", c.getDilation()[0], c.getDilation()[1]),
                OnnxGraph.ints("pads", pad[0], pad[1], pad[0], pad[1]));
    }

    /**
     * Layer {@code i}'s {@code W} as a float value of the graph: a float32 initializer, or for int8 an int8
     * initializer dequantized per output channel, exactly the values the fake-quantised layer computes with.
     */
    private static String weights(OnnxGraph g, MultiLayerNetwork net, int i, boolean int8Always) {
        INDArray w = net.getLayer(i).getParam("W");
        Layer conf = net.getLayer(i).conf().getLayer();
        boolean trainedInt8 = conf instanceof BaseLayer b && b.getWeightNoise() instanceof FakeInt8Weights;
        if (!trainedInt8 && conf instanceof BaseLayer b && b.getWeightNoise() != null) {
            throw new DistilleryException("Layer '" + conf.getLayerName() + "' has the weight noise "
                    + b.getWeightNoise().getClass().getSimpleName() + ", which the ONNX exporter does not support.");
        }
        if (!trainedInt8 && !int8Always) {
            return g.floats("W", w.shape(), floats(w));
        }
        Int8Weights q = Int8Weights.quantize(w, FakeInt8Weights.outputChannelAxis(conf));
        String values = g.int8s("W_int8", q.shape(), q.values());
        String scales = g.floats("W_scale", new long[]{q.scales().length}, q.scales());
        String zeros = g.int8s("W_zero", new long[]{q.scales().length}, new byte[q.scales().length]);
        return g.node("DequantizeLinear", null, new String[]{values, scales, zeros},
                OnnxGraph.integer("axis", q.axis()));
    }

    private static String pool(OnnxGraph g, SubsamplingLayer s, String x, String name) {
        checkCnn(s.getConvolutionMode(), s.getCnn2dDataFormat(), name, "subsampling");
        int[] pad = s.getPadding();
        int[] dilation = s.getDilation();
        boolean padded = pad[0] != 0 || pad[1] != 0;
        if (dilation[0] != 1 || dilation[1] != 1) {
            throw new DistilleryException("Layer '" + name + "' is a dilated subsampling layer, which the ONNX "
                    + "exporter does not support.");
        }
        var kernel = OnnxGraph.ints("kernel_shape", s.getKernelSize()[0], s.getKernelSize()[1]);
        var strides = OnnxGraph.ints("strides", s.getStride()[0], s.getStride()[1]);
        var pads = OnnxGraph.ints("pads", pad[0], pad[1], pad[0], pad[1]);
        if (s.getPoolingType() == PoolingType.MAX) {
            return g.node("MaxPool", null, new String[]{x}, kernel, strides, pads);
        }
        if (s.getPoolingType() == PoolingType.AVG && !padded) {
            return g.node("AveragePool", null, new String[]{x}, kernel, strides, pads);
        }
        throw new DistilleryException("Layer '" + name + "' is a " + s.getPoolingType() + " subsampling layer"
                + (padded ? " with padding" : "") + ", which the ONNX exporter does not support; it exports max "
                + "pooling and unpadded average pooling.");
    }

    private static void checkCnn(ConvolutionMode mode, CNN2DFormat format, String name, String kind) {
        if (mode != ConvolutionMode.Truncate) {
            throw new DistilleryException("Layer '" + name + "' is a " + kind + " layer in convolution mode " + mode
                    + "; the ONNX exporter supports Truncate (the mode the model factory builds) only.");
        }
        if (format != CNN2DFormat.NCHW) {
            throw new DistilleryException("Layer '" + name + "' is a " + kind + " layer on " + format
                    + " data; the ONNX exporter supports NCHW only.");
        }
    }

    /** The array's values as float32 in C (row-major) order, ONNX's layout. */
    private static float[] floats(INDArray a) {
        return org.nd4j.linalg.factory.Nd4j.toFlattened('c', a.castTo(DataType.FLOAT)).toFloatVector();
    }
}
