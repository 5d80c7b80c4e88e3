package io.distillery.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Map;

/**
 * {@code attention}: attention transfer (Zagoruyko and Komodakis 2017) between a convolutional student layer and a
 * convolutional teacher layer of the same spatial size (their channel counts may differ).
 *
 * <p>The activation-based spatial attention map of one example is {@code q_j = sum_c a_cj^2} over the channels c
 * at each position j (the paper's F_sum^p with p = 2), normalised to unit L2 norm:
 * {@code q^ = q / sqrt(|q|^2 + 1e-12)} (the epsilon only guards an all-zero map). The per-example value is
 * {@code weight * mean_j (q^s_j - q^t_j)^2}, the form of the authors' code ({@code (at(x) - at(y)).pow(2).mean()},
 * used there with a factor beta / 2 = 500); the paper's formula has the unsquared norm. With the mean over positions
 * a weight of the order of 100 to 1000 balances the KD term.
 *
 * <p>Inputs are flattened NCHW: the student's {@code [n, cs * spatial]}, the teacher's {@code [n, ct * spatial]},
 * with {@code spatial = height * width} fixed when the term is built from the layers' shapes.
 *
 * <p>Gradient: with {@code g = 2 weight / spatial * (q^s - q^t)} and {@code m = sqrt(|q|^2 + eps)},
 * {@code dL/dq = g / m - q (q . g) / m^3} and {@code dL/da_cj = 2 a_cj dL/dq_j}.
 */
public final class AttentionLoss extends FeatureLossFunction {

    private static final long serialVersionUID = 1L;

    /** Registry name. */
    public static final String NAME = "attention";

    static final double EPS = 1e-12;

    @JsonProperty("spatial")
    private final int spatial;

    /**
     * @param weight  the term's weight
     * @param spatial height * width of both layers
     */
    @JsonCreator
    public AttentionLoss(@JsonProperty("weight") double weight, @JsonProperty("spatial") int spatial) {
        super(weight);
        if (spatial < 1) {
            throw new IllegalArgumentException("spatial size must be >= 1, got " + spatial);
        }
        this.spatial = spatial;
    }

    /** @return height * width of the compared layers */
    public int getSpatial() {
        return spatial;
    }

    /** The normalised attention map of one flattened NCHW row, and its unnormalised q and norm m. */
    private double[] map(double[] row, double[] qOut, double[] normOut) {
        if (row.length % spatial != 0) {
            throw new IllegalArgumentException("attention: a row of width " + row.length
                    + " is not a whole number of channels of spatial size " + spatial);
        }
        int channels = row.length / spatial;
        double[] q = qOut == null ? new double[spatial] : qOut;
        for (int c = 0; c < channels; c++) {
            for (int j = 0; j < spatial; j++) {
                double v = row[c * spatial + j];
                q[j] += v * v;
            }
        }
        double sq = 0;
        for (double v : q) {
            sq += v * v;
        }
        double m = Math.sqrt(sq + EPS);
        if (normOut != null) {
            normOut[0] = m;
        }
        double[] hat = new double[spatial];
        for (int j = 0; j < spatial; j++) {
            hat[j] = q[j] / m;
        }
        return hat;
    }

    @Override
    protected double[] evaluate(double[][] labels, double[][] a, double[][] grad) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double[] qs = new double[spatial];
            double[] ms = new double[1];
            double[] hs = map(a[i], qs, ms);
            double[] ht = map(labels[i], null, null);
            double sum = 0;
            double[] g = new double[spatial];
            double qg = 0;
            for (int j = 0; j < spatial; j++) {
                double d = hs[j] - ht[j];
                sum += d * d;
                g[j] = 2.0 * weight / spatial * d;
                qg += qs[j] * g[j];
            }
            s[i] = weight * sum / spatial;
            if (grad != null) {
                double m = ms[0];
                int channels = a[i].length / spatial;
                for (int j = 0; j < spatial; j++) {
                    double dq = g[j] / m - qs[j] * qg / (m * m * m);
                    for (int c = 0; c < channels; c++) {
                        grad[i][c * spatial + j] = 2.0 * a[i][c * spatial + j] * dq;
                    }
                }
            }
        }
        return s;
    }

    @Override
    protected Map<String, Object> parameters() {
        return Map.of("spatial", spatial);
    }
}
