package io.distillery.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * {@code logit-mse}: logit regression after Ba &amp; Caruana (2014), {@code 0.5 * mean_c (z_c - t_c)^2}.
 *
 * <p>The mean over classes (rather than the sum) keeps the term's size independent of C, and the 0.5 makes the
 * gradient simply {@code (z - t) / C}. The term does not read y, and it is the same for labelled and unlabelled
 * rows. No parameters.
 */
public record LogitMseTerm() implements LossTerm {

    /** Registry name. */
    public static final String NAME = "logit-mse";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> params() {
        return Map.of();
    }

    @Override
    public INDArray scoreArray(INDArray labels, INDArray z) {
        INDArray d = z.sub(ResponseLabels.teacher(labels, z));
        return d.muli(d).sum(true, 1).muli(0.5 / z.size(1));
    }

    @Override
    public INDArray gradient(INDArray labels, INDArray z) {
        return z.sub(ResponseLabels.teacher(labels, z)).muli(1.0 / z.size(1));
    }
}
