package io.distillery.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Map;

/**
 * {@code ce}: hard-label cross-entropy {@code CE(y, softmax(z)) = -sum_i y_i log softmax(z)_i}, exactly 0 on
 * unlabelled (all-zero y) rows, which therefore learn only from the other terms.
 *
 * <p>Gradient: {@code sum(y) * softmax(z) - y} (0 on unlabelled rows). No parameters.
 */
public record CeTerm() implements LossTerm {

    /** Registry name. */
    public static final String NAME = "ce";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> params() {
        return Map.of();
    }

    @Override
    public boolean readsTeacher() {
        return false;
    }

    @Override
    public INDArray scoreArray(INDArray labels, INDArray z) {
        INDArray y = ResponseLabels.hard(labels, z);
        return DistillationLoss.logSoftmaxRows(z).muli(y).sum(true, 1).negi();
    }

    @Override
    public INDArray gradient(INDArray labels, INDArray z) {
        INDArray y = ResponseLabels.hard(labels, z);
        INDArray p = Transforms.exp(DistillationLoss.logSoftmaxRows(z), false);
        return p.muliColumnVector(y.sum(true, 1)).subi(y);
    }
}
