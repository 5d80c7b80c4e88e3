package io.distillery.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Map;

/**
 * {@code kd}: Hinton et al. (2015) soft-target term {@code T^2 * KL( softmax(t/T) || softmax(z/T) )}.
 *
 * <p>Gradient: {@code T * (softmax(z/T) - softmax(t/T))}. The T^2 factor keeps the gradient's magnitude roughly
 * independent of T, so its weight can be chosen without regard to the temperature. Unlabelled rows are treated
 * like labelled ones (the term does not read y).
 *
 * @param temperature T, finite and &gt; 0 (registry parameter {@code temperature}, required)
 */
public record KdTerm(double temperature) implements LossTerm {

    /** Registry name. */
    public static final String NAME = "kd";

    /** @throws IllegalArgumentException unless the temperature is finite and &gt; 0 */
    public KdTerm {
        requirePositiveTemperature(temperature);
    }

    static void requirePositiveTemperature(double temperature) {
        if (!(temperature > 0.0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> params() {
        return Map.of("temperature", temperature);
    }

    @Override
    public INDArray scoreArray(INDArray labels, INDArray z) {
        INDArray logPt = DistillationLoss.logSoftmaxRows(ResponseLabels.teacher(labels, z).div(temperature));
        INDArray logQ = DistillationLoss.logSoftmaxRows(z.div(temperature));
        // sum pt (log pt - log q): both logs are finite, so an underflowed pt = 0 contributes exactly 0.
        INDArray pt = Transforms.exp(logPt, true);
        return logPt.subi(logQ).muli(pt).sum(true, 1).muli(temperature * temperature);
    }

    @Override
    public INDArray gradient(INDArray labels, INDArray z) {
        INDArray pt = Transforms.exp(
                DistillationLoss.logSoftmaxRows(ResponseLabels.teacher(labels, z).div(temperature)), false);
        INDArray q = Transforms.exp(DistillationLoss.logSoftmaxRows(z.div(temperature)), false);
        return q.subi(pt).muli(temperature);
    }

    @Override
    public String describe() {
        return NAME + "(T=" + ResponseLabels.number(temperature) + ")";
    }
}
