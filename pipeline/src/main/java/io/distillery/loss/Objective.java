package io.distillery.loss;

import io.distillery.config.DistilleryException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A run's whole objective as configured in {@code distill.loss}: the response-based terms, summed into one
 * {@link CompositeLoss} on the output layer, and the feature- and relation-based {@link FeatureTerm}s, one
 * auxiliary head each. {@link #formula()} lists every term in configuration order, e.g.
 * {@code 0.9 * kd(T=4) + 0.1 * ce + 1 * hint(hidden1 -> hidden2)}.
 */
public final class Objective {

    /** One configured term: name, weight and the other keys of its entry. */
    public record Entry(String term, double weight, Map<String, ?> params) {
    }

    private final CompositeLoss response;
    private final List<FeatureTerm> features;
    private final String formula;

    private Objective(CompositeLoss response, List<FeatureTerm> features, String formula) {
        this.response = response;
        this.features = List.copyOf(features);
        this.formula = formula;
    }

    /**
     * @param entries the configured terms, at least one
     * @throws DistilleryException for an unknown term (listing every known term), bad parameters or weights, or
     *                             feature terms without any response-based term for the output layer
     */
    public static Objective of(List<Entry> entries) {
        CompositeLoss.Builder builder = CompositeLoss.builder();
        List<FeatureTerm> features = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        int responseTerms = 0;
        for (Entry e : entries) {
            if (LossRegistry.isFeatureTerm(e.term())) {
                FeatureTerm f = LossRegistry.createFeature(e.term(), e.weight(), e.params());
                features.add(f);
                parts.add(f.toString());
            } else {
                LossTerm t = LossRegistry.create(e.term(), e.params()); // unknown names fail here, listing all
                builder.add(e.weight(), t);
                responseTerms++;
                parts.add(ResponseLabels.number(e.weight()) + " * " + t.describe()); // as CompositeLoss.formula()
            }
        }
        if (responseTerms == 0) {
            throw new DistilleryException("distillery.distill.loss has no response-based term (one of "
                    + responseNames() + ") for the output layer; feature terms alone leave it untrained.");
        }
        CompositeLoss composite = builder.build();
        return new Objective(composite, features, String.join(" + ", parts));
    }

    private static List<String> responseNames() {
        List<String> names = new ArrayList<>();
        for (String n : LossRegistry.knownNames()) {
            if (!LossRegistry.isFeatureTerm(n)) {
                names.add(n);
            }
        }
        return names;
    }

    /** @return the output layer's loss */
    public CompositeLoss response() {
        return response;
    }

    /** @return the feature- and relation-based terms, in configuration order (empty for a response-only run) */
    public List<FeatureTerm> features() {
        return features;
    }

    /** @return every term, weighted, in configuration order */
    public String formula() {
        return formula;
    }
}
