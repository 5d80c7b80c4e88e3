package io.distillery.loss;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * Hinton et al. (2015) knowledge-distillation loss as a DL4J {@link ILossFunction}, for a softmax output layer.
 *
 * <h2>Label layout</h2>
 * With C = {@code numClasses} and an output layer of width C, each labels row is either
 * <ul>
 *   <li><b>2C wide</b>: {@code [y_0 .. y_{C-1} | t_0 .. t_{C-1}]}, a hard one-hot target y followed by the
 *       teacher's <em>logits</em> t (not probabilities: the temperature is applied here); or</li>
 *   <li><b>C wide</b>: the hard one-hot target y only (no teacher available).</li>
 * </ul>
 * A row whose hard part is all zeros is <em>unlabelled</em>: its hard term is 0 and it learns from the teacher only.
 * {@link #packLabels(INDArray, INDArray)} builds 2C-wide labels.
 *
 * <h2>Per-example score</h2>
 * With student logits z ({@code preOutput}), {@code p_T(x) = softmax(x / T)}:
 * <pre>
 *   2C wide: L = alpha * T^2 * KL( p_T(t) || p_T(z) ) + (1 - alpha) * CE( y, p_1(z) )
 *   C wide:  L = CE( y, p_1(z) )                       (hard term weighted 1, not 1 - alpha)
 *   CE(y, p) = -sum_i y_i log p_i
 * </pre>
 * With C-wide labels there is no soft term, so weighting the hard term by {@code 1 - alpha} would only rescale
 * the loss (to zero at alpha = 1); weight 1 makes C-wide labels behave exactly like {@code LossMCXENT}.
 * The T^2 factor keeps the soft term's gradient magnitude independent of T, as in the paper.
 *
 * <h2>Gradient with respect to z</h2>
 * <pre>
 *   dL/dz = alpha * T * (p_T(z) - p_T(t)) + (1 - alpha) * (sum_i(y_i) * p_1(z) - y)    (2C wide)
 *   dL/dz = sum_i(y_i) * p_1(z) - y                                                   (C wide)
 * </pre>
 * Like {@code LossMCXENT}, the gradient is per example and not divided by the minibatch size (DL4J divides in
 * the updater when {@code miniBatch(true)}), and it always has the shape of {@code preOutput} ([n, C]) even when
 * the labels are 2C wide. The {@code activationFn} must be softmax; it is not applied, because the gradient above
 * is already taken through the softmax (as {@code LossMCXENT} does for softmax).
 *
 * <p>Everything is computed with log-softmax (row max subtracted before {@code exp}) in the data type of
 * {@code preOutput}, so logits of magnitude 1e4 give finite scores and gradients even in float.
 *
 * <p>Masks: a per-example mask (column vector [n, 1], or length n) zeroes the score and gradient of masked
 * rows. Per-output masks are not supported (as in {@code LossMCXENT} with softmax).
 *
 * <p>Instances are immutable and serialized inside DL4J's JSON network configuration (via the shaded Jackson
 * annotations on the constructor and the getters) and by Java serialization.
 */
public class DistillationLoss implements ILossFunction {

    private static final long serialVersionUID = 1L;

    private final double temperature;
    private final double alpha;
    private final int numClasses;

    /**
     * @param temperature softmax temperature T for the soft term, finite and &gt; 0
     * @param alpha       weight of the soft term, in [0, 1]; the hard term gets 1 - alpha (2C-wide labels)
     * @param numClasses  C, the width of the output layer, &gt;= 1
     * @throws IllegalArgumentException if a parameter is out of range
     */
    @JsonCreator
    public DistillationLoss(@JsonProperty("temperature") double temperature,
                            @JsonProperty("alpha") double alpha,
                            @JsonProperty("numClasses") int numClasses) {
        if (!(temperature > 0.0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        if (!(alpha >= 0.0 && alpha <= 1.0)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        this.temperature = temperature;
        this.alpha = alpha;
        this.numClasses = numClasses;
    }

    /** @return the temperature T */
    public double getTemperature() {
        return temperature;
    }

    /** @return alpha, the weight of the soft (teacher) term */
    public double getAlpha() {
        return alpha;
    }

    /** @return C, the number of classes (output width) */
    public int getNumClasses() {
        return numClasses;
    }

    /**
     * Builds 2C-wide labels {@code [hard | teacherLogits]} in the layout this loss expects.
     *
     * @param hard          [n, C] one-hot rows (all-zero rows mark unlabelled examples)
     * @param teacherLogits [n, C] teacher logits (before any temperature)
     * @return a new [n, 2C] array in the data type of {@code teacherLogits}
     */
    public static INDArray packLabels(INDArray hard, INDArray teacherLogits) {
        if (!Arrays.equals(hard.shape(), teacherLogits.shape()) || hard.rank() != 2) {
            throw new IllegalArgumentException("hard labels and teacher logits must both be [n, C], got "
                    + Arrays.toString(hard.shape()) + " and " + Arrays.toString(teacherLogits.shape()));
        }
        return Nd4j.hstack(hard.castTo(teacherLogits.dataType()), teacherLogits);
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        INDArray scores = compute(labels, preOutput, activationFn, mask, true, false).getFirst();
        double score = scores.sumNumber().doubleValue();
        // Same convention as LossMCXENT: divide by the number of rows, masked rows included.
        return average ? score / preOutput.size(0) : score;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return compute(labels, preOutput, activationFn, mask, true, false).getFirst();
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return compute(labels, preOutput, activationFn, mask, false, true).getSecond();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask,
                                                          boolean average) {
        // One pass: the score and the gradient share both log-softmaxes.
        Pair<INDArray, INDArray> both = compute(labels, preOutput, activationFn, mask, true, true);
        double score = both.getFirst().sumNumber().doubleValue();
        if (average) {
            score /= preOutput.size(0);
        }
        return new Pair<>(score, both.getSecond());
    }

    /**
     * Shared implementation: returns (per-row scores [n,1] or null, gradient [n,C] or null).
     */
    private Pair<INDArray, INDArray> compute(INDArray labels, INDArray preOutput, IActivation activationFn,
                                             INDArray mask, boolean wantScore, boolean wantGradient) {
        if (!(activationFn instanceof ActivationSoftmax)) {
            throw new IllegalArgumentException("DistillationLoss requires a SOFTMAX output activation, got "
                    + activationFn);
        }
        if (preOutput.rank() != 2 || preOutput.size(1) != numClasses) {
            throw new IllegalArgumentException("preOutput must be [n, " + numClasses + "], got "
                    + Arrays.toString(preOutput.shape()));
        }
        long n = preOutput.size(0);
        int c = numClasses;
        if (labels.rank() != 2 || labels.size(0) != n || (labels.size(1) != c && labels.size(1) != 2L * c)) {
            throw new IllegalArgumentException("labels must be [" + n + ", " + c + "] (hard only) or [" + n + ", "
                    + (2 * c) + "] (hard | teacher logits), got " + Arrays.toString(labels.shape()));
        }
        INDArray colMask = perExampleMask(mask, n, preOutput);

        labels = labels.castTo(preOutput.dataType()); // no-op if already the right type
        boolean hasTeacher = labels.size(1) == 2L * c;
        INDArray y = hasTeacher ? labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)) : labels;
        double hardWeight = hasTeacher ? 1.0 - alpha : 1.0;
        double softWeight = hasTeacher ? alpha : 0.0;

        INDArray scores = wantScore ? Nd4j.zeros(preOutput.dataType(), n, 1) : null;
        INDArray grad = wantGradient ? Nd4j.zeros(preOutput.dataType(), n, c) : null;

        // Terms with weight 0 are skipped rather than multiplied by 0, which also saves the work.
        if (hardWeight > 0.0) {
            INDArray logP = logSoftmaxRows(preOutput);
            if (wantScore) {
                // CE(y, p) = -sum y log p; all-zero (unlabelled) rows give exactly 0.
                scores.addi(logP.mul(y).sum(true, 1).muli(-hardWeight));
            }
            if (wantGradient) {
                // d/dz of -sum_i y_i log softmax(z)_i = sum(y) * softmax(z) - y (sum(y) = 0 for unlabelled rows).
                INDArray p = Transforms.exp(logP, false);
                INDArray ySum = y.sum(true, 1);
                grad.addi(p.muliColumnVector(ySum).subi(y).muli(hardWeight));
            }
        }
        if (softWeight > 0.0) {
            INDArray t = labels.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c));
            INDArray logQ = logSoftmaxRows(preOutput.div(temperature)); // student at temperature T
            INDArray logPt = logSoftmaxRows(t.div(temperature));       // teacher at temperature T
            INDArray pt = Transforms.exp(logPt, true);
            if (wantScore) {
                // KL(pt || q) = sum pt (log pt - log q); pt = 0 (underflow) contributes 0 because both logs are
                // finite, so 0 log 0 never becomes NaN.
                INDArray kl = logPt.sub(logQ).muli(pt).sum(true, 1);
                scores.addi(kl.muli(softWeight * temperature * temperature));
            }
            if (wantGradient) {
                // d/dz of T^2 KL = T^2 * (1/T) (softmax(z/T) - softmax(t/T)).
                INDArray q = Transforms.exp(logQ, false);
                grad.addi(q.subi(pt).muli(softWeight * temperature));
            }
        }
        if (colMask != null) {
            if (scores != null) {
                scores.muliColumnVector(colMask);
            }
            if (grad != null) {
                grad.muliColumnVector(colMask);
            }
        }
        return new Pair<>(scores, grad);
    }

    /** Validates a per-example mask and returns it as [n, 1] in the data type of {@code like}, or null. */
    private static INDArray perExampleMask(INDArray mask, long n, INDArray like) {
        if (mask == null) {
            return null;
        }
        boolean column = mask.rank() == 1 || (mask.rank() == 2 && mask.size(1) == 1);
        if (!column || mask.length() != n) {
            throw new UnsupportedOperationException("DistillationLoss supports only per-example masks of shape ["
                    + n + ", 1]; got " + Arrays.toString(mask.shape()));
        }
        return mask.reshape(n, 1).castTo(like.dataType());
    }

    /**
     * Row-wise log-softmax of a [n, C] array, returning a new array: {@code (x - max) - log(sum(exp(x - max)))}.
     * After subtracting the row max every exponent is &lt;= 0 and the row sum is &gt;= 1, so nothing overflows and
     * the log is finite. (ND4J 1.0.0-M2 has no {@code Transforms.logSoftmax}; these primitive ops keep the
     * stabilisation explicit.)
     */
    static INDArray logSoftmaxRows(INDArray x) {
        INDArray shifted = x.subColumnVector(x.max(true, 1));
        INDArray logSum = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
        return shifted.subiColumnVector(logSum);
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DistillationLoss)) {
            return false;
        }
        DistillationLoss other = (DistillationLoss) o;
        return Double.compare(temperature, other.temperature) == 0
                && Double.compare(alpha, other.alpha) == 0
                && numClasses == other.numClasses;
    }

    @Override
    public int hashCode() {
        int h = Double.hashCode(temperature);
        h = 31 * h + Double.hashCode(alpha);
        return 31 * h + numClasses;
    }

    @Override
    public String toString() {
        return "DistillationLoss(temperature=" + temperature + ", alpha=" + alpha + ", numClasses=" + numClasses
                + ")";
    }
}
