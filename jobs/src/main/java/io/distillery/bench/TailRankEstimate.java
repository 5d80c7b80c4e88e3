package io.distillery.bench;

import io.distillery.loss.SoftmaxMath;
import io.distillery.store.Half;
import io.distillery.store.TopKLogits;
import io.distillery.model.HostArrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A design study, not a store format: how close would a top-k store come to the teacher at T = 4 if each row also
 * kept r float16 coefficients of its log-probabilities on a shared rank-r PCA basis, to give the missing classes
 * their shape instead of a uniform share?
 *
 * <p>The basis (the mean and the top r principal directions of the rows' centred logits) is fitted on the rows
 * with even ids and the figures are measured on the rows with odd ids. A row is rebuilt as: its k kept classes
 * exact; every other class at {@code mean_j + sum_q a_q U_jq} (coefficients {@code a} rounded to float16), shifted
 * so that the missing classes hold exactly the stored missing mass at T = 1, as the top-k store records it. The
 * figures are the mean KL(teacher_T || rebuilt_T) at T = 1 and 4, and the share of the variance the basis explains.
 * Rank 0 is the mean shape alone. A store would pay 2r bytes per row plus the basis once (C x (r + 1) floats).
 */
final class TailRankEstimate {
    /** One rank's figures. */
    record Row(int rank, double explainedVariance, int extraBytesPerRow, double klT1, double klT4) {
    }

    private TailRankEstimate() {
    }

    /**
     * @param logits the teacher's full logits by row id (at least 2 rows of each parity)
     * @param k      classes kept exactly per row
     * @param ranks  basis ranks to try, each in [0, C]
     */
    static List<Row> measure(Map<Long, float[]> logits, int k, List<Integer> ranks) {
        List<double[]> fit = new ArrayList<>();
        List<float[]> test = new ArrayList<>();
        for (Map.Entry<Long, float[]> e : new TreeMap<>(logits).entrySet()) {
            if (e.getKey() % 2 == 0) {
                fit.add(centred(e.getValue()));
            } else {
                test.add(e.getValue());
            }
        }
        if (fit.size() < 2 || test.isEmpty()) {
            throw new IllegalArgumentException("the tail-rank estimate needs rows with even and odd ids, got "
                    + fit.size() + " and " + test.size());
        }
        int c = fit.get(0).length;
        double[] mean = mean(fit, c);
        Basis basis = Basis.of(covariance(fit, mean));
        double total = Arrays.stream(basis.variances).map(v -> Math.max(v, 0)).sum();

        List<Row> rows = new ArrayList<>();
        for (int rank : ranks) {
            if (rank < 0 || rank > c) {
                throw new IllegalArgumentException("tail rank " + rank + " is outside [0, " + c + "]");
            }
            double[][] directions = Arrays.copyOf(basis.directions, rank);
            double explained = 0;
            for (int q = 0; q < rank; q++) {
                explained += Math.max(basis.variances[q], 0);
            }
            double[] kl = new double[2];
            for (float[] z : test) {
                float[] rebuilt = rebuild(z, k, mean, directions);
                kl[0] += SoftmaxMath.klDivergence(SoftmaxMath.softmax(z, 1), SoftmaxMath.softmax(rebuilt, 1));
                kl[1] += SoftmaxMath.klDivergence(SoftmaxMath.softmax(z, 4), SoftmaxMath.softmax(rebuilt, 4));
            }
            rows.add(new Row(rank, total > 0 ? explained / total : 1, 2 * rank, kl[0] / test.size(),
                    kl[1] / test.size()));
        }
        return rows;
    }

    /** Kept classes exact; the others from the basis, shifted to hold the row's true missing mass at T = 1. */
    static float[] rebuild(float[] z, int k, double[] mean, double[][] basis) {
        int c = z.length;
        TopKLogits.Kept kept = TopKLogits.select(z, k);
        if (kept.indices().length == c) {  // every class kept: nothing to rebuild
            return z.clone();
        }
        double[] x = centred(z);
        double[] shape = mean.clone();
        for (double[] u : basis) {
            double a = 0;
            for (int j = 0; j < c; j++) {
                a += u[j] * (x[j] - mean[j]);
            }
            a = Half.toFloat(Half.toHalf((float) a));  // what a float16 column would hold
            for (int j = 0; j < c; j++) {
                shape[j] += a * u[j];
            }
        }
        boolean[] isKept = new boolean[c];
        for (int i : kept.indices()) {
            isKept[i] = true;
        }
        float[] rebuilt = new float[c];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) {
            if (!isKept[j]) {
                max = Math.max(max, shape[j]);
            }
        }
        double sum = 0;
        for (int j = 0; j < c; j++) {
            if (!isKept[j]) {
                sum += Math.exp(shape[j] - max);
            }
        }
        double shift = kept.logSumExp() + kept.logRest() - (max + Math.log(sum));
        for (int j = 0; j < c; j++) {
            rebuilt[j] = (float) (isKept[j] ? z[j] : shape[j] + shift);
        }
        return rebuilt;
    }

    /**
     * The logits minus their row mean. Logits matter only up to a constant per row; removing it linearly (rather
     * than through log-softmax, whose log-sum-exp bends the rows off any linear subspace) keeps logits that vary
     * along r directions on a rank-r basis.
     */
    private static double[] centred(float[] z) {
        double avg = 0;
        for (float v : z) {
            avg += v;
        }
        avg /= z.length;
        double[] x = new double[z.length];
        for (int j = 0; j < z.length; j++) {
            x[j] = z[j] - avg;
        }
        return x;
    }

    /** Principal directions (unit rows) and their variances, largest first. */
    record Basis(double[][] directions, double[] variances) {
        /** By LAPACK's symmetric eigensolver (commons-math3's did not converge on a 1,000-class covariance). */
        static Basis of(double[][] covariance) {
            int c = covariance.length;
            INDArray a = Nd4j.create(covariance);
            INDArray values = Eigen.symmetricGeneralizedEigenvalues(a, true);  // a now holds eigenvectors as columns
            double[] v = values.toDoubleVector();
            Integer[] order = new Integer[c];
            for (int i = 0; i < c; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (x, y) -> Double.compare(v[y], v[x]));
            double[][] vectors = HostArrays.doubleRows(a.transpose());
            double[][] directions = new double[c][];
            double[] variances = new double[c];
            for (int q = 0; q < c; q++) {
                directions[q] = vectors[order[q]];
                variances[q] = v[order[q]];
            }
            return new Basis(directions, variances);
        }
    }

    private static double[] mean(List<double[]> rows, int c) {
        double[] mean = new double[c];
        for (double[] r : rows) {
            for (int j = 0; j < c; j++) {
                mean[j] += r[j] / rows.size();
            }
        }
        return mean;
    }

    private static double[][] covariance(List<double[]> rows, double[] mean) {
        int c = mean.length;
        double[][] cov = new double[c][c];
        double[] v = new double[c];
        for (double[] r : rows) {
            for (int j = 0; j < c; j++) {
                v[j] = r[j] - mean[j];
            }
            for (int a = 0; a < c; a++) {
                double va = v[a] / (rows.size() - 1);
                double[] row = cov[a];
                for (int b = 0; b < c; b++) {
                    row[b] += va * v[b];
                }
            }
        }
        return cov;
    }
}
