package io.distillery.model;

import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.ILossFunction;

import java.util.List;

/**
 * Builds DL4J networks from {@link ModelSpec}s: the declared hidden layers, then a dense softmax output layer named
 * {@link ModelSpec#OUTPUT_LAYER} with one unit per class, trained with the given loss.
 */
public final class ModelFactory {
    private ModelFactory() {
    }

    /**
     * The network configuration.
     *
     * @param inputWidth number of input features (flat)
     * @param inputShape {@code [channels, height, width]} for convolutional inputs, or empty
     */
    public static MultiLayerConfiguration configuration(ModelSpec spec, int inputWidth, List<Integer> inputShape,
                                                        int numClasses, ILossFunction loss, long seed) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(updater(spec))
                .weightInit(WeightInit.RELU)
                .l2(spec.l2())
                .list();
        int index = 0;
        for (LayerSpec l : spec.layers()) {
            list.layer(index++, hiddenLayer(l, spec));
        }
        list.layer(index, quantized(new OutputLayer.Builder(loss)
                .name(ModelSpec.OUTPUT_LAYER)
                .nOut(numClasses)
                .activation(Activation.SOFTMAX)
                .weightInit(WeightInit.XAVIER)
                .build(), spec));
        list.setInputType(inputType(inputWidth, inputShape));
        return list.build();
    }

    /** The network's input type: flat features, or a flattened {@code [channels, height, width]} image. */
    public static InputType inputType(int inputWidth, List<Integer> inputShape) {
        return inputShape.isEmpty() ? InputType.feedForward(inputWidth)
                : InputType.convolutionalFlat(inputShape.get(1), inputShape.get(2), inputShape.get(0));
    }

    /** A new, initialised network. */
    public static MultiLayerNetwork build(ModelSpec spec, int inputWidth, List<Integer> inputShape, int numClasses,
                                          ILossFunction loss, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(
                configuration(spec, inputWidth, inputShape, numClasses, loss, seed));
        net.init();
        return net;
    }

    /** Hidden layer {@code l} of the model {@code spec}, with fake int8 weights when the model asks for them. */
    static Layer hiddenLayer(LayerSpec l, ModelSpec spec) {
        return quantized(hiddenLayer(l), spec);
    }

    /**
     * {@code layer} with {@link FakeInt8Weights} when {@code spec} trains with int8 weights and the layer has
     * weights; otherwise {@code layer} unchanged.
     */
    static <T extends Layer> T quantized(T layer, ModelSpec spec) {
        if (spec.int8() && layer instanceof BaseLayer withWeights) {
            withWeights.setWeightNoise(new FakeInt8Weights());
        }
        return layer;
    }

    static Layer hiddenLayer(LayerSpec l) {
        Layer layer = switch (l.type()) {
            case "dense" -> new DenseLayer.Builder().nOut(l.units())
                    .activation(Activation.fromString(l.activation())).build();
            case "conv" -> new ConvolutionLayer.Builder(l.kernel(), l.kernel()).stride(l.stride(), l.stride())
                    .nOut(l.units()).activation(Activation.fromString(l.activation())).build();
            case "pool" -> new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                    .kernelSize(l.kernel(), l.kernel()).stride(l.stride(), l.stride()).build();
            default -> throw new IllegalArgumentException("Unknown layer type " + l.type());
        };
        layer.setLayerName(l.name());
        if (l.dropout() > 0) {
            // DL4J's dropOut(x) takes the probability of KEEPING an input; our config states the drop probability.
            layer.setIDropout(new org.deeplearning4j.nn.conf.dropout.Dropout(1.0 - l.dropout()));
        }
        return layer;
    }

    static IUpdater updater(ModelSpec spec) {
        return switch (spec.updater()) {
            case "adam" -> new Adam(spec.learningRate());
            case "sgd" -> new Sgd(spec.learningRate());
            case "nesterovs" -> new Nesterovs(spec.learningRate(), 0.9);
            default -> throw new IllegalArgumentException("Unknown updater " + spec.updater());
        };
    }
}
