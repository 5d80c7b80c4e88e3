package io.distillery.config;

import com.typesafe.config.Config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Hinton distillation objective and the transfer-set setting.
 *
 * @param temperature      softmax temperature T applied to teacher and student logits in the soft term
 * @param alpha            weight of the soft term (scaled by T squared); the hard-label term gets {@code 1 - alpha}
 * @param labelledFraction fraction of training rows whose label the student may see (1 = all). The rest are a
 *                         transfer set labelled by the teacher only; the choice of rows is a pure function of the row
 *                         id and the seed, so the baseline student sees exactly the same labels.
 * @param loss             the student's objective as weighted named terms ({@code distill.loss}); empty means the
 *                         Hinton loss from {@code temperature} and {@code alpha}
 * @param missingMass      how a top-k store's classes that were not kept are filled in ({@code distill.missing-mass});
 *                         a dense store ignores it
 */
public record DistillSpec(double temperature, double alpha, double labelledFraction, List<LossTermConfig> loss,
                          MissingMass missingMass) {

    /** The default treatment of a top-k store's missing mass ({@link MissingMass#UNIFORM}). */
    public DistillSpec(double temperature, double alpha, double labelledFraction, List<LossTermConfig> loss) {
        this(temperature, alpha, labelledFraction, loss, MissingMass.UNIFORM);
    }

    /**
     * One term of {@code distill.loss}: {@code { term = kd, weight = 0.9, temperature = 4 }}.
     *
     * @param term   the registered name of the term (checked against the loss registry before training)
     * @param weight its weight in the sum
     * @param params every other key of the entry, passed to the term
     */
    public record LossTermConfig(String term, double weight, Map<String, Object> params) {
    }

    static DistillSpec from(Config c, ConfigProblems problems) {
        List<LossTermConfig> loss = new ArrayList<>();
        List<? extends Config> raw = c.getConfigList("loss");
        for (int i = 0; i < raw.size(); i++) {
            Config t = raw.get(i);
            String at = "distillery.distill.loss[" + i + "]";
            if (!t.hasPath("term") || !t.hasPath("weight")) {
                problems.add("Entry " + at + " needs a 'term' and a 'weight'.");
                continue;
            }
            Map<String, Object> params = new LinkedHashMap<>(t.root().unwrapped());
            params.remove("term");
            params.remove("weight");
            loss.add(new LossTermConfig(t.getString("term"), t.getDouble("weight"), params));
        }
        String missing = c.getString("missing-mass");
        MissingMass missingMass = MissingMass.parse(missing);
        if (missingMass == null) {
            problems.add("Key distillery.distill.missing-mass is '" + missing
                    + "'; it must be uniform or renormalise.");
            missingMass = MissingMass.UNIFORM;
        }
        DistillSpec d = new DistillSpec(c.getDouble("temperature"), c.getDouble("alpha"),
                c.getDouble("labelled-fraction"), List.copyOf(loss), missingMass);
        problems.check(d.temperature > 0,
                "Key distillery.distill.temperature is " + d.temperature + "; it must be positive.");
        problems.check(d.alpha >= 0 && d.alpha <= 1,
                "Key distillery.distill.alpha is " + d.alpha + "; it must be in [0, 1].");
        problems.check(d.labelledFraction > 0 && d.labelledFraction <= 1,
                "Key distillery.distill.labelled-fraction is " + d.labelledFraction + "; it must be in (0, 1].");
        return d;
    }
}
