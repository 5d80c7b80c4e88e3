package io.distillery.config;

import com.typesafe.config.Config;

/**
 * The Hinton distillation objective and the transfer-set setting.
 *
 * @param temperature      softmax temperature T applied to teacher and student logits in the soft term
 * @param alpha            weight of the soft term (scaled by T squared); the hard-label term gets {@code 1 - alpha}
 * @param labelledFraction fraction of training rows whose label the student may see (1 = all). The rest are a
 *                         transfer set labelled by the teacher only; the choice of rows is a pure function of the row
 *                         id and the seed, so the baseline student sees exactly the same labels.
 */
public record DistillSpec(double temperature, double alpha, double labelledFraction) {

    static DistillSpec from(Config c, ConfigProblems problems) {
        DistillSpec d = new DistillSpec(c.getDouble("temperature"), c.getDouble("alpha"),
                c.getDouble("labelled-fraction"));
        problems.check(d.temperature > 0,
                "Key distillery.distill.temperature is " + d.temperature + "; it must be positive.");
        problems.check(d.alpha >= 0 && d.alpha <= 1,
                "Key distillery.distill.alpha is " + d.alpha + "; it must be in [0, 1].");
        problems.check(d.labelledFraction > 0 && d.labelledFraction <= 1,
                "Key distillery.distill.labelled-fraction is " + d.labelledFraction + "; it must be in (0, 1].");
        return d;
    }
}
