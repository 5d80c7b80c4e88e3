package io.distillery.loss;

import io.distillery.model.HostArrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * {@code dkd}: Decoupled Knowledge Distillation (Zhao et al., CVPR 2022),
 * {@code T^2 * (alpha * TCKD + beta * NCKD)}.
 *
 * <p>With g the target class, {@code p = softmax(t/T)} (teacher) and {@code q = softmax(z/T)} (student):
 * <pre>
 *   TCKD = KL( (p_g, 1 - p_g) || (q_g, 1 - q_g) )           binary target / non-target distribution
 *   NCKD = KL( p^ || q^ ),  p^_j = p_j / (1 - p_g), j != g    non-target classes, renormalised
 * </pre>
 * <b>Target class:</b> g is the labelled class (argmax of y) on labelled rows. On unlabelled rows (all-zero y)
 * there is no true class, so g is the teacher's argmax (lowest index on ties) — the teacher's own prediction is
 * the natural stand-in, and with it TCKD measures how confidently the student follows that prediction.
 *
 * <h2>Gradient with respect to z</h2>
 * Derived analytically (and checked against central differences in the tests). With {@code q^_j = q_j/(1 - q_g)}:
 * <pre>
 *   dL/dz_g = T * alpha * (q_g - p_g)
 *   dL/dz_j = T * ( -alpha * (q_g - p_g) * q^_j + beta * (q^_j - p^_j) ),   j != g
 * </pre>
 * (d TCKD/du = (e_g - q)(q_g - p_g)/(1 - q_g) for u = z/T, and d NCKD/du_j = q^_j - p^_j off the target.)
 * Writing it with q^ avoids dividing by {@code 1 - q_g}, which vanishes for a confident student.
 *
 * <p>Everything is computed per row in double precision from log-softmaxes, and the non-target distributions
 * exclude g exactly (rather than by subtracting a large constant from its logit, as the reference code does), so
 * extreme logits stay finite. Rows are short (C values), so the plain-Java loop costs little next to the
 * network. Requires C &gt;= 2.
 *
 * @param temperature T, finite and &gt; 0 (registry parameter {@code temperature}, required)
 * @param alpha       weight of TCKD, finite and &gt;= 0 (registry parameter {@code alpha}, default 1)
 * @param beta        weight of NCKD, finite and &gt;= 0 (registry parameter {@code beta}, default 8)
 */
public record DkdTerm(double temperature, double alpha, double beta) implements LossTerm {

    /** Registry name. */
    public static final String NAME = "dkd";
    /** Default weight of TCKD, as in the paper. */
    public static final double DEFAULT_ALPHA = 1.0;
    /** Default weight of NCKD, the paper's CIFAR-100 setting. */
    public static final double DEFAULT_BETA = 8.0;

    /** @throws IllegalArgumentException if a parameter is out of range */
    public DkdTerm {
        KdTerm.requirePositiveTemperature(temperature);
        if (!(alpha >= 0.0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha must be finite and >= 0, got " + alpha);
        }
        if (!(beta >= 0.0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> params() {
        return Map.of("temperature", temperature, "alpha", alpha, "beta", beta);
    }

    @Override
    public INDArray scoreArray(INDArray labels, INDArray z) {
        Rows rows = new Rows(labels, z);
        double[] scores = new double[rows.n];
        for (int i = 0; i < rows.n; i++) {
            scores[i] = new RowMath(rows, i).score();
        }
        return Nd4j.create(scores, new long[] {rows.n, 1}, DataType.DOUBLE).castTo(z.dataType());
    }

    @Override
    public INDArray gradient(INDArray labels, INDArray z) {
        Rows rows = new Rows(labels, z);
        double[][] grad = new double[rows.n][];
        for (int i = 0; i < rows.n; i++) {
            grad[i] = new RowMath(rows, i).gradient();
        }
        return HostArrays.fromRows(grad, z.dataType());
    }

    @Override
    public String describe() {
        return NAME + "(T=" + ResponseLabels.number(temperature) + ", alpha=" + ResponseLabels.number(alpha)
                + ", beta=" + ResponseLabels.number(beta) + ")";
    }

    /** The inputs copied to Java arrays once per call. */
    private static final class Rows {
        final int n;
        final double[][] z;
        final double[][] y;
        final double[][] t;

        Rows(INDArray labels, INDArray z) {
            ResponseLabels.check(labels, z);
            if (z.size(1) < 2) {
                throw new IllegalArgumentException("dkd needs at least 2 classes, got " + z.size(1));
            }
            this.n = (int) z.size(0);
            INDArray zd = z.castTo(DataType.DOUBLE);
            this.z = HostArrays.doubleRows(zd);
            this.y = HostArrays.doubleRows(ResponseLabels.hard(labels, zd));
            this.t = HostArrays.doubleRows(ResponseLabels.teacher(labels, zd));
        }
    }

    /** The log-probabilities of one row split at its target class g. */
    private final class RowMath {
        final int g;
        final double[] logQ;     // log softmax(z/T)
        final double[] logP;     // log softmax(t/T)
        final double logQRest;   // log(1 - q_g), from the non-target terms directly
        final double logPRest;   // log(1 - p_g)

        RowMath(Rows rows, int i) {
            double[] y = rows.y[i];
            double ySum = 0.0;
            for (double v : y) {
                ySum += v;
            }
            this.g = ySum > 0.0 ? SoftmaxMath.argmax(y) : SoftmaxMath.argmax(rows.t[i]);
            this.logQ = SoftmaxMath.logSoftmax(rows.z[i], temperature);
            this.logP = SoftmaxMath.logSoftmax(rows.t[i], temperature);
            this.logQRest = logSumExpExcept(logQ, g);
            this.logPRest = logSumExpExcept(logP, g);
        }

        double score() {
            // TCKD over (target, rest); each p * (log p - log q) with finite logs, so p = 0 contributes 0.
            double tckd = Math.exp(logP[g]) * (logP[g] - logQ[g]) + Math.exp(logPRest) * (logPRest - logQRest);
            double nckd = 0.0;
            for (int j = 0; j < logP.length; j++) {
                if (j != g) {
                    double logPHat = logP[j] - logPRest;
                    double logQHat = logQ[j] - logQRest;
                    nckd += Math.exp(logPHat) * (logPHat - logQHat);
                }
            }
            return temperature * temperature * (alpha * tckd + beta * nckd);
        }

        double[] gradient() {
            double targetGap = Math.exp(logQ[g]) - Math.exp(logP[g]); // q_g - p_g
            double[] grad = new double[logQ.length];
            for (int j = 0; j < grad.length; j++) {
                if (j == g) {
                    grad[j] = temperature * alpha * targetGap;
                } else {
                    double qHat = Math.exp(logQ[j] - logQRest);
                    double pHat = Math.exp(logP[j] - logPRest);
                    grad[j] = temperature * (-alpha * targetGap * qHat + beta * (qHat - pHat));
                }
            }
            return grad;
        }
    }

    /** log(sum_{j != skip} exp(x_j)), max-shifted; finite for finite x with at least one j != skip. */
    private static double logSumExpExcept(double[] x, int skip) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < x.length; j++) {
            if (j != skip) {
                max = Math.max(max, x[j]);
            }
        }
        double sum = 0.0;
        for (int j = 0; j < x.length; j++) {
            if (j != skip) {
                sum += Math.exp(x[j] - max);
            }
        }
        return max + Math.log(sum);
    }
}
