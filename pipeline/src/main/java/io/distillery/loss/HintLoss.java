package io.distillery.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@code hint}: FitNets (Romero et al. 2015). The student layer goes through a learned regressor r (trained with
 * the student, dropped from the exported model; see {@code io.distillery.model.TrainingGraph}) to the teacher
 * tap's width, and this loss compares them: per example {@code weight * 0.5 * mean_j (r_j - t_j)^2}.
 *
 * <p>The mean over the tap's width (FitNets write the plain sum {@code 0.5 ||t - r||^2}) keeps a weight meaningful
 * whether the tap is 32 or 18,432 values wide, and matches {@code logit-mse}. Gradient {@code weight * (r - t) / d}.
 */
public final class HintLoss extends FeatureLossFunction {

    private static final long serialVersionUID = 1L;

    /** Registry name. */
    public static final String NAME = "hint";

    @JsonCreator
    public HintLoss(@JsonProperty("weight") double weight) {
        super(weight);
    }

    @Override
    protected double[] evaluate(double[][] labels, double[][] r, double[][] grad) {
        double[] s = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            int d = r[i].length;
            if (labels[i].length != d) {
                throw new IllegalArgumentException("hint: the regressor has width " + d + " but the teacher tap has "
                        + labels[i].length);
            }
            double sum = 0;
            for (int j = 0; j < d; j++) {
                double diff = r[i][j] - labels[i][j];
                sum += diff * diff;
                if (grad != null) {
                    grad[i][j] = weight * diff / d;
                }
            }
            s[i] = weight * 0.5 * sum / d;
        }
        return s;
    }
}
