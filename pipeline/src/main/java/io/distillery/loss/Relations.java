package io.distillery.loss;

/**
 * Minibatch relations for the relation-based terms, in double precision: the Gram matrix {@code G = A A^T} of a
 * minibatch's rows, pairwise distances derived from it, and the way back from {@code dL/dG} to {@code dL/dA}.
 * Both {@link SimilarityLoss} and {@link RkdLoss} are functions of G alone (distances from
 * {@code |a_i - a_j|^2 = G_ii + G_jj - 2 G_ij}, RKD's angles from {@code <a_i - a_j, a_k - a_j> = G_ik - G_ij - G_jk
 * + G_jj}), so the triplet term never builds the {@code [b, b, d]} tensor of differences (Park et al.'s code does):
 * it costs {@code b^2 d} for G plus {@code b^3} scalar work, whatever the layer's width.
 */
final class Relations {

    /** A pair whose squared distance is at most this fraction of {@code G_ii + G_jj} counts as one point. */
    static final double DEGENERATE = 1e-12;

    private Relations() {
    }

    /** {@code G = A A^T}. */
    static double[][] gram(double[][] a) {
        int b = a.length;
        double[][] g = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = i; j < b; j++) {
                double s = 0;
                double[] x = a[i];
                double[] y = a[j];
                for (int k = 0; k < x.length; k++) {
                    s += x[k] * y[k];
                }
                g[i][j] = s;
                g[j][i] = s;
            }
        }
        return g;
    }

    /**
     * Euclidean distances from a Gram matrix; 0 on the diagonal and for degenerate pairs (rows equal up to
     * rounding), which {@link #valid} marks false.
     */
    static double[][] distances(double[][] g, boolean[][] valid) {
        int b = g.length;
        double[][] d = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (i == j) {
                    continue;
                }
                double sq = g[i][i] + g[j][j] - g[i][j] - g[j][i];
                if (sq > DEGENERATE * (g[i][i] + g[j][j]) && sq > 0) {
                    d[i][j] = Math.sqrt(sq);
                    valid[i][j] = true;
                }
            }
        }
        return d;
    }

    /**
     * Adds the chain rule through {@code D_ij = sqrt(G_ii + G_jj - G_ij - G_ji)} for every valid ordered pair.
     */
    static void distanceToGram(double[][] dD, double[][] d, boolean[][] valid, double[][] dG) {
        int b = d.length;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (valid[i][j] && dD[i][j] != 0.0) {
                    double g = dD[i][j] / (2.0 * d[i][j]);
                    dG[i][i] += g;
                    dG[j][j] += g;
                    dG[i][j] -= g;
                    dG[j][i] -= g;
                }
            }
        }
    }

    /** {@code dL/dA = (dL/dG + dL/dG^T) A}, written into {@code out} (n x d). */
    static void gramToInput(double[][] dG, double[][] a, double[][] out) {
        int b = a.length;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                double s = dG[i][j] + dG[j][i];
                if (s == 0.0) {
                    continue;
                }
                double[] aj = a[j];
                double[] oi = out[i];
                for (int k = 0; k < aj.length; k++) {
                    oi[k] += s * aj[k];
                }
            }
        }
    }
}
