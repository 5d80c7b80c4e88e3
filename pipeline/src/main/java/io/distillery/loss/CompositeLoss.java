package io.distillery.loss;

import io.distillery.config.DistilleryException;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A weighted sum of response-based {@link LossTerm}s as a DL4J {@link ILossFunction}, e.g.
 * {@code 0.9 * kd(T=4) + 0.1 * ce}, for a softmax output layer of width C.
 *
 * <p>Labels are 2C wide, {@code [one-hot y | teacher logits t]} (see {@link LossTerm}; {@link
 * DistillationLoss#packLabels} builds them), or {@code (1 + K) C} wide, {@code [y | t_1 | ... | t_K]}: then every
 * term that reads the teacher is the mean of its values on {@code [y | t_k]} over the K teachers (one loss per
 * teacher, which for a non-linear term such as dkd is not the loss on any combined teacher), and a term that does
 * not ({@link LossTerm#readsTeacher()}) is taken once. Score and gradient are the weighted sums of the terms'
 * per-example values; the gradient is per example and not divided by n, and {@code computeScore(average = true)}
 * divides by the number of rows, masked rows included — the conventions of {@code LossMCXENT} and
 * {@link DistillationLoss}. {@code hinton(T, alpha)} equals {@code new DistillationLoss(T, alpha, C)} on 2C-wide
 * labels.
 *
 * <p>The output activation must be softmax and is not applied: every term's gradient is already taken with
 * respect to the logits through the softmax. Masks: a per-example mask ([n, 1] or length n) zeroes the score and
 * gradient of masked rows; per-output masks are not supported.
 *
 * <p>Serialization: only the {@link TermSpec}s (name, weight, parameters) are stored, in DL4J's JSON configuration
 * and in Java serialization; the terms are rebuilt through {@link LossRegistry}. The stored parameters are the
 * terms' own {@link LossTerm#params()}, defaults included, so a saved model does not change meaning if a default
 * changes later.
 */
public class CompositeLoss extends PerExampleLoss {

    private static final long serialVersionUID = 1L;

    private final List<TermSpec> terms;
    @JsonIgnore
    private final transient List<LossTerm> built;

    /**
     * @param terms the weighted terms, at least one; each weight finite and &gt;= 0
     * @throws DistilleryException for an unknown term, bad parameters or a bad weight
     */
    @JsonCreator
    public CompositeLoss(@JsonProperty("terms") List<TermSpec> terms) {
        if (terms == null || terms.isEmpty()) {
            throw new DistilleryException("A composite loss needs at least one term.");
        }
        List<TermSpec> canonical = new ArrayList<>();
        List<LossTerm> instances = new ArrayList<>();
        for (TermSpec spec : terms) {
            double w = spec.getWeight();
            if (!(w >= 0.0) || Double.isInfinite(w)) {
                throw new DistilleryException("Loss term '" + spec.getName() + "' has weight " + w
                        + "; weights must be finite and >= 0.");
            }
            LossTerm term = LossRegistry.create(spec.getName(), spec.getParams());
            instances.add(term);
            canonical.add(new TermSpec(term.name(), w, term.params()));
        }
        this.terms = List.copyOf(canonical);
        this.built = List.copyOf(instances);
    }

    /** @return a builder that adds terms in order */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Hinton distillation as a composite: {@code alpha * kd(T) + (1 - alpha) * ce}.
     *
     * @param temperature T &gt; 0
     * @param alpha       weight of the soft term, in [0, 1]
     * @return the loss
     */
    public static CompositeLoss hinton(double temperature, double alpha) {
        return builder().add(alpha, new KdTerm(temperature)).add(1.0 - alpha, new CeTerm()).build();
    }

    /** @return the weighted terms in canonical form (all parameters), in order */
    public List<TermSpec> getTerms() {
        return terms;
    }

    /** @return the term instances, in the order of {@link #getTerms()} */
    public List<LossTerm> lossTerms() {
        return built;
    }

    /** @return a readable form such as {@code 0.9 * kd(T=4) + 0.1 * ce} */
    public String formula() {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < terms.size(); k++) {
            if (k > 0) {
                sb.append(" + ");
            }
            sb.append(ResponseLabels.number(terms.get(k).getWeight())).append(" * ").append(built.get(k).describe());
        }
        return sb.toString();
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray colMask = checkInputs(labels, preOutput, activationFn, mask);
        INDArray scores = Nd4j.zeros(preOutput.dataType(), preOutput.size(0), 1);
        int teachers = ResponseLabels.teachers(labels, preOutput);
        for (int k = 0; k < built.size(); k++) {
            double w = terms.get(k).getWeight();
            if (w > 0.0) { // a weight-0 term costs nothing and cannot turn an infinite value into NaN
                LossTerm term = built.get(k);
                int per = teachers == 1 || !term.readsTeacher() ? 1 : teachers;
                for (int j = 0; j < per; j++) {
                    INDArray slice = teachers == 1 ? labels : ResponseLabels.forTeacher(labels, preOutput, j);
                    scores.addi(term.scoreArray(slice, preOutput).muli(w / per));
                }
            }
        }
        return colMask == null ? scores : scores.muliColumnVector(colMask);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        INDArray colMask = checkInputs(labels, preOutput, activationFn, mask);
        INDArray grad = Nd4j.zeros(preOutput.dataType(), preOutput.size(0), preOutput.size(1));
        int teachers = ResponseLabels.teachers(labels, preOutput);
        for (int k = 0; k < built.size(); k++) {
            double w = terms.get(k).getWeight();
            if (w > 0.0) {
                LossTerm term = built.get(k);
                int per = teachers == 1 || !term.readsTeacher() ? 1 : teachers;
                for (int j = 0; j < per; j++) {
                    INDArray slice = teachers == 1 ? labels : ResponseLabels.forTeacher(labels, preOutput, j);
                    grad.addi(term.gradient(slice, preOutput).muli(w / per));
                }
            }
        }
        return colMask == null ? grad : grad.muliColumnVector(colMask);
    }

    /** Checks activation and shapes; returns the per-example mask as [n, 1] in the type of preOutput, or null. */
    private static INDArray checkInputs(INDArray labels, INDArray preOutput, IActivation activationFn,
                                        INDArray mask) {
        if (!(activationFn instanceof ActivationSoftmax)) {
            throw new IllegalArgumentException("CompositeLoss requires a SOFTMAX output activation, got "
                    + activationFn);
        }
        ResponseLabels.teachers(labels, preOutput);
        if (mask == null) {
            return null;
        }
        long n = preOutput.size(0);
        boolean column = mask.rank() == 1 || (mask.rank() == 2 && mask.size(1) == 1);
        if (!column || mask.length() != n) {
            throw new UnsupportedOperationException("CompositeLoss supports only per-example masks of shape ["
                    + n + ", 1]; got " + Arrays.toString(mask.shape()));
        }
        return mask.reshape(n, 1).castTo(preOutput.dataType());
    }

    /** Java deserialization restores only the specs; rebuild the terms from the registry. */
    private Object readResolve() {
        return new CompositeLoss(terms);
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompositeLoss other && terms.equals(other.terms);
    }

    @Override
    public int hashCode() {
        return terms.hashCode();
    }

    @Override
    public String toString() {
        return "CompositeLoss(" + formula() + ")";
    }

    /** Collects weighted terms for a {@link CompositeLoss}. */
    public static final class Builder {
        private final List<TermSpec> specs = new ArrayList<>();

        private Builder() {
        }

        /** Adds {@code weight * term}; the term must be registered under its {@link LossTerm#name()}. */
        public Builder add(double weight, LossTerm term) {
            specs.add(new TermSpec(term.name(), weight, term.params()));
            return this;
        }

        /** Adds {@code weight * name(params)}, built through {@link LossRegistry}. */
        public Builder add(double weight, String name, Map<String, ?> params) {
            specs.add(new TermSpec(name, weight, params));
            return this;
        }

        /** @throws DistilleryException as {@link CompositeLoss#CompositeLoss(List)} */
        public CompositeLoss build() {
            return new CompositeLoss(specs);
        }
    }
}
