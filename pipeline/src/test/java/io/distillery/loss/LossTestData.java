package io.distillery.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Random double-precision inputs for the loss tests. Arrays are built from double[][] (so DOUBLE) rather than by
 * changing ND4J's global default data type, which would leak into other test classes in the same JVM.
 */
final class LossTestData {

    private LossTestData() {
    }

    static double[][] logits(Random rnd, int n, int c, double scale) {
        double[][] x = new double[n][c];
        for (double[] row : x) {
            for (int j = 0; j < c; j++) {
                row[j] = scale * rnd.nextGaussian();
            }
        }
        return x;
    }

    /** One-hot rows with a random class; rows with {@code (i + offset) % 3 == 1} are unlabelled (all zero). */
    static double[][] oneHot(Random rnd, int n, int c, int offset) {
        double[][] y = new double[n][c];
        for (int i = 0; i < n; i++) {
            if ((i + offset) % 3 != 1) {
                y[i][rnd.nextInt(c)] = 1.0;
            }
        }
        return y;
    }

    static INDArray labels(double[][] y, double[][] t) {
        return DistillationLoss.packLabels(Nd4j.create(y), Nd4j.create(t));
    }

    static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }

    /**
     * Compares one gradient entry with its finite-difference estimate: fails naming the entry when the relative
     * error reaches {@code maxRel} (differences below {@code minAbs}, at the level of the estimate's rounding noise,
     * pass), and returns the relative error (0 for those).
     */
    static double checkGradientEntry(String what, int i, int j, double analytic, double numeric, double minAbs,
                                     double maxRel) {
        org.junit.jupiter.api.Assertions.assertTrue(Double.isFinite(analytic),
                what + ": gradient not finite at " + i + "," + j);
        double absError = Math.abs(analytic - numeric);
        if (absError < minAbs) {
            return 0;
        }
        double rel = absError / (Math.abs(analytic) + Math.abs(numeric));
        if (rel >= maxRel) {
            org.junit.jupiter.api.Assertions.fail(what + ": at [" + i + "," + j + "] analytic " + analytic
                    + " vs numeric " + numeric + " (relative error " + rel + ")");
        }
        return rel;
    }
}
