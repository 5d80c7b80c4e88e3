package io.distillery.onnx;

import io.distillery.config.DistilleryException;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationGELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationHardTanH;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationMish;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSELU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftSign;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/**
 * DL4J activations as ONNX operators, each with DL4J's own constants (leaky ReLU's slope, HardSigmoid's 0.2 x + 0.5,
 * GELU's sigmoid approximation {@code x * sigmoid(1.702 x)} unless DL4J was asked for the precise form). Softmax is
 * over the last axis of a {@code [batch, classes]} tensor, as DL4J's.
 */
final class OnnxActivations {
    private OnnxActivations() {
    }

    /** Appends {@code fn} applied to {@code x}; returns the result's name ({@code x} itself for the identity). */
    static String apply(OnnxGraph g, IActivation fn, String x, String layer) {
        if (fn instanceof ActivationIdentity) {
            return x;
        }
        if (fn instanceof ActivationReLU r) {
            if (r.getMax() != null || r.getThreshold() != null || r.getNegativeSlope() != null) {
                throw unsupported(layer, "a ReLU with a max, threshold or negative slope");
            }
            return g.node("Relu", null, new String[]{x});
        }
        if (fn instanceof ActivationReLU6) {
            return clip(g, x, 0f, 6f);
        }
        if (fn instanceof ActivationHardTanH) {
            return clip(g, x, -1f, 1f);
        }
        if (fn instanceof ActivationLReLU l) {
            return g.node("LeakyRelu", null, new String[]{x}, OnnxGraph.real("alpha", (float) l.getAlpha()));
        }
        if (fn instanceof ActivationELU e) {
            return g.node("Elu", null, new String[]{x}, OnnxGraph.real("alpha", (float) e.getAlpha()));
        }
        if (fn instanceof ActivationSELU) {
            // DL4J's SELU constants are the standard ones, which are ONNX's defaults.
            return g.node("Selu", null, new String[]{x});
        }
        if (fn instanceof ActivationGELU gelu) {
            return gelu.isPrecise() ? preciseGelu(g, x) : g.node("Mul", null, new String[]{x,
                    g.node("Sigmoid", null, new String[]{scale(g, x, 1.702f)})});
        }
        if (fn instanceof ActivationSwish) {
            return g.node("Mul", null, new String[]{x, g.node("Sigmoid", null, new String[]{x})});
        }
        if (fn instanceof ActivationMish) {
            String softplus = g.node("Softplus", null, new String[]{x});
            return g.node("Mul", null, new String[]{x, g.node("Tanh", null, new String[]{softplus})});
        }
        if (fn instanceof ActivationTanH) {
            return g.node("Tanh", null, new String[]{x});
        }
        if (fn instanceof ActivationSigmoid) {
            return g.node("Sigmoid", null, new String[]{x});
        }
        if (fn instanceof ActivationHardSigmoid) {
            return g.node("HardSigmoid", null, new String[]{x}, OnnxGraph.real("alpha", 0.2f),
                    OnnxGraph.real("beta", 0.5f));
        }
        if (fn instanceof ActivationSoftPlus) {
            return g.node("Softplus", null, new String[]{x});
        }
        if (fn instanceof ActivationSoftSign) {
            return g.node("Softsign", null, new String[]{x});
        }
        if (fn instanceof ActivationSoftmax) {
            return g.node("Softmax", null, new String[]{x}, OnnxGraph.integer("axis", -1));
        }
        throw unsupported(layer, "activation " + fn.getClass().getSimpleName());
    }

    private static String clip(OnnxGraph g, String x, float min, float max) {
        return g.node("Clip", null, new String[]{x, g.floats("min", new long[0], new float[]{min}),
                g.floats("max", new long[0], new float[]{max})});
    }

    private static String scale(OnnxGraph g, String x, float factor) {
        return g.node("Mul", null, new String[]{x, g.floats("factor", new long[0], new float[]{factor})});
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    private static String preciseGelu(OnnxGraph g, String x) {
        String erf = g.node("Erf", null, new String[]{scale(g, x, (float) (1 / Math.sqrt(2)))});
        String onePlus = g.node("Add", null, new String[]{erf, g.floats("one", new long[0], new float[]{1f})});
        return g.node("Mul", null, new String[]{scale(g, x, 0.5f), onePlus});
    }

    static DistilleryException unsupported(String layer, String what) {
        return new DistilleryException("Layer '" + layer + "' uses " + what + ", which the ONNX exporter does not "
                + "support.");
    }
}
