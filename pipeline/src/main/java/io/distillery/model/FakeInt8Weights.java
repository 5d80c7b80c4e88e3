package io.distillery.model;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.weightnoise.IWeightNoise;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fake int8 quantisation of a layer's weights (quantisation-aware training): every forward pass, in training and at
 * inference alike, computes with the weights rounded to int8 per output channel ({@link Int8Weights}), while the
 * optimiser keeps updating the float32 weights underneath. Biases stay float32, as in int8 inference engines
 * (which keep them at higher precision).
 * <p>
 * DL4J applies a layer's {@link IWeightNoise} to the parameter it computes with and back-propagates the gradient
 * with respect to that value into the parameter itself, which is exactly the straight-through estimator: the
 * rounding's gradient (zero almost everywhere) is taken as the identity, so {@code dL/dW} is
 * {@code dL/dW_q} evaluated at the quantised weights. That is what lets the student learn weights that survive int8.
 */
public final class FakeInt8Weights implements IWeightNoise {
    private static final long serialVersionUID = 1L;

    @Override
    public INDArray getParameter(Layer layer, String paramKey, int iteration, int epoch, boolean train,
                                 LayerWorkspaceMgr workspaceMgr) {
        INDArray param = layer.getParam(paramKey);
        ParamInitializer init = layer.conf().getLayer().initializer();
        if (!init.isWeightParam(layer.conf().getLayer(), paramKey)) {
            return param;
        }
        return Int8Weights.fakeQuantize(param, outputChannelAxis(layer.conf().getLayer()));
    }

    /** Axis of the output channels of a layer's {@code W}: 0 for a convolution, 1 for dense and output layers. */
    public static int outputChannelAxis(org.deeplearning4j.nn.conf.layers.Layer layer) {
        return layer instanceof ConvolutionLayer ? 0 : 1;
    }

    @Override
    public FakeInt8Weights clone() {
        return new FakeInt8Weights();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FakeInt8Weights;
    }

    @Override
    public int hashCode() {
        return FakeInt8Weights.class.hashCode();
    }
}
