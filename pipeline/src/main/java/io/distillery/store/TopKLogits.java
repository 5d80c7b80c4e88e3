package io.distillery.store;

import io.distillery.config.MissingMass;

import java.util.Arrays;

/**
 * The top-k soft-target layout's arithmetic: what the soft-target stage keeps of a row of teacher logits, and the
 * dense row of C logits that {@code distill} rebuilds from it for the unchanged losses ({@code kd}, {@code dkd},
 * {@code logit-mse}, the Hinton loss).
 *
 * <h2>What is kept</h2>
 * For logits z (C classes) the store keeps the indices of the k most probable classes (most probable first, ties
 * to the lower index), their <em>log-probabilities</em> {@code lp_i = z_i - lse} at T = 1 (float32 or float16),
 * {@code lse = log sum_j exp z_j} over all C classes, and {@code logRest = log sum_{j not kept} exp(z_j - lse)},
 * the log of the probability mass of the other classes (both float32, computed in double from the full row). The
 * kept probabilities are {@code exp(lp_i)}, the missing mass is {@code exp(logRest)}, the raw logits
 * {@code lp_i + lse}.
 * <p>Why log-probabilities rather than raw logits (equivalent information, since {@code z_i = lp_i + lse}): in
 * float16 a value's error is relative to its magnitude, and the classes that carry most of the mass have
 * {@code lp} near 0, where float16 is finest. A logit of 12.3 is stored to +-0.004 (a 0.4% error in its
 * probability); its log-probability -0.01 is stored to +-0.000004.
 * <p>Why the missing mass is stored rather than derived as {@code 1 - sum exp(lp_i)}: a confident teacher leaves a
 * mass of 1e-9 or 1e-20 outside its top k, far below the rounding of the kept values (float16 cannot even tell
 * {@code lp = -1e-9} from 0; double cannot tell {@code 1 - 1e-20} from 1). Derived, such masses come out as 0 or
 * negative, and a "uniform" reconstruction would give the missing classes probability 0 where the teacher gives
 * them a little: an infinite KL(teacher || rebuilt), which the first run of the store bench showed. Stored as a
 * log, the mass is exact to float32 precision at any size, for 4 bytes a row.
 *
 * <h2>Reconstruction</h2>
 * Kept classes get {@code lse + lp_i}, their exact logits (up to the stored precision). The other
 * {@code m = C - k} classes get one logit:
 * <ul>
 *   <li>{@link MissingMass#UNIFORM}: {@code lse + logRest - log m}, so at T = 1 each missing class gets an equal
 *   share of the exact missing mass. At T != 1 the rebuilt distribution differs from the teacher's: a uniform tail
 *   raised to 1/T is heavier than the true tail raised to 1/T (by concavity), so the KL grows with T; the store
 *   bench measures it.</li>
 *   <li>{@link MissingMass#RENORMALISE}: {@code lse + }{@value #MISSING_LOG_PROB}: a finite logit so far below the
 *   kept ones that its probability is below {@code e^(-10^4 / T)} per class (under 10^-40 for any T up to 100,
 *   exactly 0 in float for T below about 96), so the kept probabilities renormalise. Finite, not -infinity, so
 *   that the losses' {@code p * (log p - log q)} stays {@code 0 * finite = 0} instead of NaN.</li>
 * </ul>
 * <b>Clamping.</b> A log-probability or log missing mass below {@value #MISSING_LOG_PROB} (including -infinity:
 * no missing class, or a mass that underflows double) is raised to it, so every rebuilt logit is finite.
 * <p><b>k &gt;= C.</b> Every class is kept; there is no missing mass and both treatments give the teacher's
 * logits (up to the stored precision).
 * <p><b>{@code logit-mse}</b> regresses raw logits, and a missing class has none: under {@code uniform} its target is
 * the log of the average missing probability (plus lse), a reasonable stand-in; under {@code renormalise} it is a
 * placeholder 10^4 below the others, so {@code distill} refuses {@code logit-mse} with {@code renormalise} on a
 * top-k store.
 */
public final class TopKLogits {
    /** The log-probability given to classes whose probability is taken to be zero (renormalise, clamping). */
    public static final double MISSING_LOG_PROB = -1.0e4;

    private TopKLogits() {
    }

    /**
     * The kept part of one row of logits.
     *
     * @param indices  the k' = min(k, C) most probable classes, most probable first
     * @param logProbs their log-probabilities at T = 1
     * @param logSumExp {@code log sum_j exp z_j} over all classes
     * @param logRest   log of the probability (T = 1) of the classes not kept; -infinity when all are kept
     */
    public record Kept(int[] indices, double[] logProbs, double logSumExp, double logRest) {
        @Override
        public String toString() {
            return "Kept[indices=" + Arrays.toString(indices) + ", logProbs=" + Arrays.toString(logProbs)
                    + ", logSumExp=" + logSumExp + ", logRest=" + logRest + "]";
        }
    }

    /** {@code log sum exp z}, stable (the maximum is factored out), in double. */
    public static double logSumExp(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        if (Double.isInfinite(max)) {
            return max;
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    /**
     * The k most probable classes of {@code z} (all of them when k &gt;= C), most probable first, ties to the lower
     * index, with their log-probabilities and the log-sum-exp of the whole row. One pass with an insertion-sorted
     * buffer of k: O(C) for the usual rows, O(C k) at worst.
     */
    public static Kept select(float[] z, int k) {
        int kk = Math.min(k, z.length);
        int[] idx = new int[kk];
        float[] val = new float[kk];
        int n = 0;
        for (int i = 0; i < z.length; i++) {
            float v = z[i];
            // Strictly greater: an equal later value never displaces an earlier index.
            if (n < kk || v > val[n - 1]) {
                int pos = n < kk ? n++ : kk - 1;
                while (pos > 0 && v > val[pos - 1]) {
                    idx[pos] = idx[pos - 1];
                    val[pos] = val[pos - 1];
                    pos--;
                }
                idx[pos] = i;
                val[pos] = v;
            }
        }
        double lse = logSumExp(z);
        double[] lp = new double[kk];
        boolean[] kept = new boolean[z.length];
        for (int i = 0; i < kk; i++) {
            lp[i] = val[i] - lse;
            kept[idx[i]] = true;
        }
        // log sum over the other classes, directly (not as log(1 - kept mass)), so tiny masses stay exact.
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < z.length; i++) {
            if (!kept[i]) {
                max = Math.max(max, z[i]);
            }
        }
        double logRest = Double.NEGATIVE_INFINITY;
        if (max > Double.NEGATIVE_INFINITY) {
            double sum = 0;
            for (int i = 0; i < z.length; i++) {
                if (!kept[i]) {
                    sum += Math.exp(z[i] - max);
                }
            }
            logRest = max + Math.log(sum) - lse;
        }
        return new Kept(idx, lp, lse, logRest);
    }

    /**
     * Writes the dense row of C logits rebuilt from a top-k entry into {@code target[offset, offset + C)}.
     *
     * @param indices   kept classes, distinct, in [0, C)
     * @param logProbs  their stored log-probabilities (same length)
     * @param logSumExp the stored log-sum-exp of all logits
     * @param logRest   the stored log of the missing mass (-infinity for none)
     * @throws IllegalArgumentException for an index outside [0, C), a repeated index, more entries than classes,
     *                                  a NaN log-probability, a non-finite log-sum-exp, or a NaN or positive
     *                                  infinite log missing mass
     */
    public static void reconstruct(int[] indices, float[] logProbs, float logSumExp, float logRest, int numClasses,
                                   MissingMass missingMass, float[] target, int offset) {
        int k = indices.length;
        if (logProbs.length != k) {
            throw new IllegalArgumentException("a top-k row has " + k + " indices but " + logProbs.length
                    + " values");
        }
        if (k > numClasses) {
            throw new IllegalArgumentException("a top-k row keeps " + k + " classes of " + numClasses);
        }
        if (!Float.isFinite(logSumExp)) {
            throw new IllegalArgumentException("a top-k row has log-sum-exp " + logSumExp);
        }
        if (Float.isNaN(logRest) || logRest == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("a top-k row has log missing mass " + logRest);
        }
        // NaN marks the classes not yet written, so a repeated index is caught without another array.
        Arrays.fill(target, offset, offset + numClasses, Float.NaN);
        for (int i = 0; i < k; i++) {
            int c = indices[i];
            if (c < 0 || c >= numClasses) {
                throw new IllegalArgumentException("a top-k row has class index " + c + ", outside [0, "
                        + numClasses + ")");
            }
            if (!Float.isNaN(target[offset + c])) {
                throw new IllegalArgumentException("a top-k row keeps class " + c + " twice");
            }
            if (Float.isNaN(logProbs[i])) {
                throw new IllegalArgumentException("a top-k row has a NaN log-probability for class " + c);
            }
            double lp = Math.max(logProbs[i], MISSING_LOG_PROB);
            target[offset + c] = (float) (logSumExp + lp);
        }
        int missing = numClasses - k;
        if (missing > 0) {
            double lp = MISSING_LOG_PROB;
            if (missingMass == MissingMass.UNIFORM) {
                lp = Math.max(logRest - Math.log(missing), MISSING_LOG_PROB);
            }
            float fill = (float) (logSumExp + lp);
            for (int c = 0; c < numClasses; c++) {
                if (Float.isNaN(target[offset + c])) {
                    target[offset + c] = fill;
                }
            }
        }
    }
}
