package io.distillery.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code rkd}: relational knowledge distillation (Park et al. 2019), distance-wise and angle-wise terms over a
 * minibatch of b rows, each compared with the Huber loss h (smooth L1, delta 1):
 * <pre>
 * L = weight * ( w_d * L_D + w_a * L_A )
 * L_D = 1/b^2 * sum_{i,j} h( psi^s_ij - psi^t_ij ),   psi_ij = |a_i - a_j| / mu,  mu = mean_{i != j} |a_i - a_j|
 * L_A = 1/b^3 * sum_{j,i,k} h( c^s_jik - c^t_jik ),   c_jik = cos of the angle at a_j between a_i and a_k
 * </pre>
 * with {@code w_d = 25}, {@code w_a = 50} by default (the paper's), configurable as {@code distance} and
 * {@code angle}. As in the authors' code, the means run over all b^2 pairs and b^3 triplets (entries with i = j or
 * k = j are 0 for both networks), mu averages the off-diagonal distances, and a pair of (numerically) identical
 * rows has distance 0 and contributes no angle. Everything is computed from the Gram matrices (see
 * {@link Relations}).
 *
 * <p>Per-example scores (see {@link FeatureLossFunction}): row i's score is
 * {@code b * weight * (w_d / b^2 * sum_j h(psi_ij) + w_a / b^3 * sum_{j,k} h(c_ijk))}: its distance row and the
 * triplets anchored at it; they sum to {@code b L}, so the minimised mean is L.
 */
public final class RkdLoss extends FeatureLossFunction {

    private static final long serialVersionUID = 1L;

    /** Registry name. */
    public static final String NAME = "rkd";
    public static final double DEFAULT_DISTANCE = 25.0;
    public static final double DEFAULT_ANGLE = 50.0;

    @JsonProperty("distance")
    private final double distance;
    @JsonProperty("angle")
    private final double angle;

    /**
     * @param weight   the term's weight
     * @param distance w_d, finite and &gt;= 0
     * @param angle    w_a, finite and &gt;= 0
     */
    @JsonCreator
    public RkdLoss(@JsonProperty("weight") double weight, @JsonProperty("distance") double distance,
                   @JsonProperty("angle") double angle) {
        super(weight);
        if (!(distance >= 0) || Double.isInfinite(distance) || !(angle >= 0) || Double.isInfinite(angle)) {
            throw new IllegalArgumentException("distance and angle weights must be finite and >= 0, got "
                    + distance + " and " + angle);
        }
        this.distance = distance;
        this.angle = angle;
    }

    public double getDistance() {
        return distance;
    }

    public double getAngle() {
        return angle;
    }

    /** Distances, validity and their mean over valid off-diagonal pairs (0 when there is none). */
    private static final class Side {
        final double[][] g;
        final boolean[][] valid;
        final double[][] d;
        final double mu;
        final int count;

        Side(double[][] rows) {
            int b = rows.length;
            g = Relations.gram(rows);
            valid = new boolean[b][b];
            d = Relations.distances(g, valid);
            double sum = 0;
            int m = 0;
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    if (valid[i][j]) {
                        sum += d[i][j];
                        m++;
                    }
                }
            }
            count = m;
            mu = m == 0 ? 0 : sum / m;
        }

        double psi(int i, int j) {
            return mu == 0 ? 0 : d[i][j] / mu;
        }

        /** cos of the angle at j between i and k; 0 when i or k coincides with j. */
        double cos(int j, int i, int k) {
            if (!valid[i][j] || !valid[k][j]) {
                return 0;
            }
            return (g[i][k] - g[i][j] - g[j][k] + g[j][j]) / (d[i][j] * d[k][j]);
        }
    }

    @Override
    protected double[] evaluate(double[][] labels, double[][] a, double[][] grad) {
        int b = a.length;
        Side s = new Side(a);
        Side t = new Side(labels);
        double[] score = new double[b];
        double scale = b * weight; // S = b * L
        double[][] dD = grad == null ? null : new double[b][b];
        double[][] dG = grad == null ? null : new double[b][b];

        if (distance > 0) {
            double cd = scale * distance / ((double) b * b);
            double pd = 0; // sum_ij P_ij D_ij, for the derivative through mu
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    if (i == j) {
                        continue;
                    }
                    double x = s.psi(i, j) - t.psi(i, j);
                    score[i] += cd * huber(x);
                    if (dD != null && s.valid[i][j]) {
                        double p = cd * huberGrad(x);
                        dD[i][j] += p / s.mu;
                        pd += p * s.d[i][j];
                    }
                }
            }
            if (dD != null && s.count > 0) {
                double viaMean = -pd / (s.mu * s.mu * s.count);
                for (int i = 0; i < b; i++) {
                    for (int j = 0; j < b; j++) {
                        if (s.valid[i][j]) {
                            dD[i][j] += viaMean;
                        }
                    }
                }
            }
        }
        if (angle > 0) {
            double ca = scale * angle / ((double) b * b * b);
            for (int j = 0; j < b; j++) {
                for (int i = 0; i < b; i++) {
                    if (i == j) {
                        continue;
                    }
                    for (int k = 0; k < b; k++) {
                        if (k == j) {
                            continue;
                        }
                        double cs = s.cos(j, i, k);
                        double x = cs - t.cos(j, i, k);
                        score[j] += ca * huber(x);
                        if (dG != null && s.valid[i][j] && s.valid[k][j] && x != 0.0) {
                            double r = ca * huberGrad(x);
                            double num = r / (s.d[i][j] * s.d[k][j]);
                            dG[i][k] += num;
                            dG[i][j] -= num;
                            dG[j][k] -= num;
                            dG[j][j] += num;
                            dD[i][j] -= r * cs / s.d[i][j];
                            dD[k][j] -= r * cs / s.d[k][j];
                        }
                    }
                }
            }
        }
        if (grad != null) {
            Relations.distanceToGram(dD, s.d, s.valid, dG);
            Relations.gramToInput(dG, a, grad);
        }
        return score;
    }

    @Override
    protected Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("distance", distance);
        p.put("angle", angle);
        return p;
    }
}
