package io.distillery.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * {@code similarity}: similarity-preserving KD (Tung and Mori 2019). For a minibatch of b rows, the student's and
 * the teacher's Gram matrices {@code G = A A^T} (b x b; the layers' widths may differ) are row-normalised,
 * {@code G^_i = G_i / sqrt(|G_i|^2 + 1e-12)}, and the batch loss is {@code L = weight / b^2 * |G^s - G^t|_F^2}.
 *
 * <p>Per-example scores (see {@link FeatureLossFunction}): row i's score is {@code weight / b * sum_j (G^s_ij -
 * G^t_ij)^2}, row i's share of {@code b L}; their sum divided by b, which DL4J reports and minimises, is L. The
 * paper uses a weight (its gamma) of 3000 on CIFAR-10 for this mean-over-b^2 form.
 */
public final class SimilarityLoss extends FeatureLossFunction {

    private static final long serialVersionUID = 1L;

    /** Registry name. */
    public static final String NAME = "similarity";

    static final double EPS = 1e-12;

    @JsonCreator
    public SimilarityLoss(@JsonProperty("weight") double weight) {
        super(weight);
    }

    @Override
    protected double[] evaluate(double[][] labels, double[][] a, double[][] grad) {
        int b = a.length;
        double[][] gs = Relations.gram(a);
        double[][] gt = Relations.gram(labels);
        double[] ms = new double[b];
        double[][] hs = normaliseRows(gs, ms);
        double[][] ht = normaliseRows(gt, new double[b]);
        double[] s = new double[b];
        double[][] dG = grad == null ? null : new double[b][b];
        for (int i = 0; i < b; i++) {
            double rowSum = 0;
            double[] p = new double[b];
            double hp = 0;
            for (int j = 0; j < b; j++) {
                double d = hs[i][j] - ht[i][j];
                rowSum += d * d;
                p[j] = 2.0 * weight / b * d; // d(sum of scores)/d G^s_ij
                hp += gs[i][j] * p[j];
            }
            s[i] = weight / b * rowSum;
            if (dG != null) {
                double m = ms[i];
                for (int j = 0; j < b; j++) {
                    dG[i][j] = p[j] / m - gs[i][j] * hp / (m * m * m);
                }
            }
        }
        if (grad != null) {
            Relations.gramToInput(dG, a, grad);
        }
        return s;
    }

    private static double[][] normaliseRows(double[][] g, double[] norms) {
        int b = g.length;
        double[][] h = new double[b][b];
        for (int i = 0; i < b; i++) {
            double sq = 0;
            for (int j = 0; j < b; j++) {
                sq += g[i][j] * g[i][j];
            }
            norms[i] = Math.sqrt(sq + EPS);
            for (int j = 0; j < b; j++) {
                h[i][j] = g[i][j] / norms[i];
            }
        }
        return h;
    }
}
