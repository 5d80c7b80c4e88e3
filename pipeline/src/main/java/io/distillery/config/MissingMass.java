package io.distillery.config;

import java.util.Locale;

/**
 * What a student trained from a top-k store assumes about the teacher's classes the store did not keep
 * ({@code distill.missing-mass}). The store knows their total probability at T = 1 exactly (from the log-sum-exp
 * of all logits), not how it splits among them.
 * <ul>
 *   <li>{@code uniform}: the missing mass is spread evenly over the missing classes. Exact at T = 1 in total,
 *   and the maximum-entropy guess for the split.</li>
 *   <li>{@code renormalise}: the missing classes get probability 0 and the kept probabilities are scaled to sum
 *   to 1 (what most top-k distillation code does).</li>
 * </ul>
 */
public enum MissingMass {
    UNIFORM, RENORMALISE;

    /** The config spelling, {@code uniform} or {@code renormalise}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The treatment named {@code value}, or null when it names none. */
    public static MissingMass parse(String value) {
        for (MissingMass m : values()) {
            if (m.configName().equals(value)) {
                return m;
            }
        }
        return null;
    }
}
