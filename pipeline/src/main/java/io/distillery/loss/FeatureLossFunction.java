package io.distillery.loss;

import io.distillery.model.HostArrays;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Base of the feature- and relation-based losses ({@code hint}, {@code attention}, {@code similarity},
 * {@code rkd}): a DL4J {@link ILossFunction} for an auxiliary {@code LossLayer} of the training graph (see
 * {@code io.distillery.model.TrainingGraph}), fed from a student layer and labelled with the teacher's tapped
 * activations of the same rows, read from the soft-target store.
 *
 * <p>Inputs: {@code preOutput} is the student layer's flattened activation (through the loss layer's activation,
 * normally the identity) {@code [n, ds]}; {@code labels} the flattened teacher tap {@code [n, dt]}, whose width may
 * differ from ds (only {@code hint} needs equal widths, which its regressor provides). Conv activations are
 * flattened in DL4J's NCHW order, as the store holds them.
 *
 * <p>Conventions: subclasses define the <em>summed</em> score S of the minibatch (the sum of the per-example
 * scores) and its gradient dS/da, not divided by n; DL4J divides both by the minibatch size (the loss layer divides
 * the score, the updater the gradient), so what is minimised is S / n. For per-example terms that is the mean of
 * the per-example values; for the batch-relation terms ({@code similarity}, {@code rkd}) S is n times the batch
 * loss L of the paper, so that the minimised quantity is L itself, and each row's score is that row's share of
 * n L (documented per class). The term's weight is applied inside the function. Masks are not supported (the
 * training graph never uses them). Computation is in double precision on the host, whatever the network's type,
 * and results are returned in the type of {@code preOutput}.
 */
public abstract class FeatureLossFunction implements ILossFunction {

    private static final long serialVersionUID = 1L;

    @JsonProperty("weight")
    protected final double weight;

    protected FeatureLossFunction(double weight) {
        if (!(weight >= 0.0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be finite and >= 0, got " + weight);
        }
        this.weight = weight;
    }

    /** @return the weight applied to this term */
    public double getWeight() {
        return weight;
    }

    /**
     * @param labels teacher features [n][dt]
     * @param a      student features [n][ds]
     * @param grad   if not null, receives dS/da [n][ds] (zero-filled on entry)
     * @return per-example scores, length n, including the weight, summing to S
     */
    protected abstract double[] evaluate(double[][] labels, double[][] a, double[][] grad);

    @Override
    public final INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn,
                                            INDArray mask) {
        checkMask(mask);
        INDArray out = activationFn.getActivation(preOutput.dup(), true);
        double[] s = evaluate(matrix(labels, out.size(0)), matrix(out, out.size(0)), null);
        return org.nd4j.linalg.factory.Nd4j.create(s, new long[]{s.length, 1}, preOutput.dataType());
    }

    @Override
    public final double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                                     boolean average) {
        double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
        return average ? sum / preOutput.size(0) : sum;
    }

    @Override
    public final INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn,
                                          INDArray mask) {
        checkMask(mask);
        INDArray out = activationFn.getActivation(preOutput.dup(), true);
        double[][] a = matrix(out, out.size(0));
        double[][] grad = new double[a.length][a.length == 0 ? 0 : a[0].length];
        evaluate(matrix(labels, out.size(0)), a, grad);
        INDArray dLdOut = HostArrays.fromRows(grad, preOutput.dataType());
        return activationFn.backprop(preOutput.dup(), dLdOut).getFirst();
    }

    @Override
    public final Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                                IActivation activationFn, INDArray mask,
                                                                boolean average) {
        return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
                computeGradient(labels, preOutput, activationFn, mask));
    }

    private static double[][] matrix(INDArray x, long rows) {
        if (x.rank() != 2 || x.size(0) != rows) {
            throw new IllegalArgumentException("expected a [" + rows + ", d] array, got "
                    + Arrays.toString(x.shape()));
        }
        return HostArrays.doubleRows(x);
    }

    private void checkMask(INDArray mask) {
        if (mask != null) {
            throw new UnsupportedOperationException(name() + " does not support masks");
        }
    }

    /** Huber loss with delta 1 (smooth L1), as in Park et al.'s RKD. */
    static double huber(double x) {
        double ax = Math.abs(x);
        return ax < 1.0 ? 0.5 * x * x : ax - 0.5;
    }

    /** Derivative of {@link #huber}. */
    static double huberGrad(double x) {
        return x >= 1.0 ? 1.0 : x <= -1.0 ? -1.0 : x;
    }

    /**
     * The term's parameters besides its weight, in a fixed order: they take part in {@link #equals} and are printed
     * by {@link #toString}. None by default.
     */
    protected Map<String, Object> parameters() {
        return Map.of();
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Double.compare(((FeatureLossFunction) o).weight, weight) == 0
                && ((FeatureLossFunction) o).parameters().equals(parameters());
    }

    @Override
    public final int hashCode() {
        return Objects.hash(getClass().getName(), weight, parameters());
    }

    /** For example {@code RkdLoss(weight=1.0, distance=25.0, angle=50.0)}. */
    @Override
    public final String toString() {
        StringBuilder s = new StringBuilder(getClass().getSimpleName()).append("(weight=").append(weight);
        parameters().forEach((k, v) -> s.append(", ").append(k).append('=').append(v));
        return s.append(')').toString();
    }

    @Override
    public String name() {
        return toString();
    }
}
