package io.distillery.loss;

/**
 * Numerically stable softmax, log-softmax and KL divergence on plain Java arrays.
 *
 * <p>Pure Java (no ND4J) so that evaluation code running inside Spark aggregations, or over Parquet rows, can use
 * the same definitions as {@link DistillationLoss} without creating off-heap arrays per row. All results are
 * {@code double[]} even for {@code float[]} input: the inputs are logits stored compactly, the outputs feed sums
 * over many rows where float rounding would accumulate.
 */
public final class SoftmaxMath {

    private SoftmaxMath() {
    }

    /**
     * Log-softmax of {@code logits / temperature}: {@code x_i - max(x) - log(sum_j exp(x_j - max(x)))}.
     * Subtracting the maximum first keeps every {@code exp} in (0, 1], so logits like ±1e4 give finite results.
     *
     * @param logits      the logits (not modified), at least one element
     * @param temperature T &gt; 0
     * @return a new array of log-probabilities
     */
    public static double[] logSoftmax(float[] logits, double temperature) {
        double[] x = new double[logits.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = logits[i];
        }
        return logSoftmaxInPlace(x, temperature);
    }

    /** As {@link #logSoftmax(float[], double)}, for double logits. */
    public static double[] logSoftmax(double[] logits, double temperature) {
        return logSoftmaxInPlace(logits.clone(), temperature);
    }

    /**
     * Softmax of {@code logits / temperature}, computed as {@code exp(logSoftmax)} so that it is stable for large
     * logits and exactly 0 only where the probability underflows.
     *
     * @param logits      the logits (not modified), at least one element
     * @param temperature T &gt; 0
     * @return a new array of probabilities summing to 1 (up to rounding)
     */
    public static double[] softmax(float[] logits, double temperature) {
        return expInPlace(logSoftmax(logits, temperature));
    }

    /** As {@link #softmax(float[], double)}, for double logits. */
    public static double[] softmax(double[] logits, double temperature) {
        return expInPlace(logSoftmax(logits, temperature));
    }

    /**
     * KL(p || q) = sum_i p_i (log p_i - log q_i), natural log, with the convention 0 log 0 = 0 (terms with
     * p_i = 0 contribute nothing, whatever q_i is). Returns +Infinity when some p_i &gt; 0 has q_i = 0: that is
     * the true value, and callers that prefer a finite proxy use {@link #klDivergence(double[], double[], double)}.
     *
     * @param p the reference distribution (e.g. the teacher's)
     * @param q the approximating distribution (e.g. the student's), same length
     * @return the divergence in nats, &gt;= 0 up to rounding
     */
    public static double klDivergence(double[] p, double[] q) {
        return klDivergence(p, q, 0.0);
    }

    /**
     * KL(p || q) with q clamped from below at {@code minQ}, so a student that assigns probability 0 to a class the
     * teacher supports yields a large finite value instead of +Infinity (which would make any mean over rows
     * useless). {@code minQ = 0} gives the exact divergence.
     *
     * @param p    the reference distribution
     * @param q    the approximating distribution, same length
     * @param minQ lower clamp for q, &gt;= 0
     * @return the divergence in nats
     */
    public static double klDivergence(double[] p, double[] q, double minQ) {
        if (p.length != q.length) {
            throw new IllegalArgumentException("p and q differ in length: " + p.length + " vs " + q.length);
        }
        double kl = 0.0;
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            if (pi > 0.0) {
                double qi = Math.max(q[i], minQ);
                kl += pi * (Math.log(pi) - Math.log(qi));
            }
        }
        return kl;
    }

    /**
     * Index of the largest element; ties go to the lowest index (the same rule as ND4J's argMax), so the
     * student and teacher argmax compare consistently.
     *
     * @param x at least one element
     * @return the argmax index
     */
    public static int argmax(double[] x) {
        if (x.length == 0) {
            throw new IllegalArgumentException("argmax of an empty array");
        }
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double[] logSoftmaxInPlace(double[] x, double temperature) {
        if (!(temperature > 0.0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
        }
        if (x.length == 0) {
            throw new IllegalArgumentException("softmax of an empty array");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            x[i] /= temperature;
            max = Math.max(max, x[i]);
        }
        double sum = 0.0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        // sum >= 1 (the max term is exp(0)), so the log is finite; subtracting the max before the log-sum
        // (rather than subtracting max + log(sum)) avoids cancellation between two large numbers.
        double logSum = Math.log(sum);
        for (int i = 0; i < x.length; i++) {
            x[i] = (x[i] - max) - logSum;
        }
        return x;
    }

    private static double[] expInPlace(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.exp(x[i]);
        }
        return x;
    }
}
