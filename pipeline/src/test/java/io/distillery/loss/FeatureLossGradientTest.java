package io.distillery.loss;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Analytic gradients of the feature- and relation-based losses against central differences of the summed
 * per-example score, in double precision, at several shapes (batch sizes 1 to 7; student and teacher widths that
 * differ) and weights, through the identity and through a tanh activation. Same criterion as
 * {@link LossTermGradientTest}: relative error below 1e-6 unless the absolute difference is below 1e-8, with the
 * five-point stencil {@code (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h}, h = 1e-4: the relation terms' summed
 * scores reach the hundreds (RKD's weights 25 and 50), where a central difference at h = 1e-6 loses about 1e-5 of
 * relative precision to rounding alone; the five-point stencil's truncation error is O(h^4).
 * Relation terms are checked with respect to every entry of the whole minibatch, since each row's score depends on
 * all rows.
 */
class FeatureLossGradientTest {

    private static final double EPS = 1e-4;
    private static final double MAX_REL_ERROR = 1e-6;
    /** The stencil's own rounding, about 1.5e-12 * |S| for summed scores S up to a few thousand. */
    private static final double MIN_ABS_ERROR = 1e-8;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (double w : new double[] {0.5, 3.0}) {
            for (int n : new int[] {1, 3, 6}) {
                for (int d : new int[] {1, 4, 9}) {
                    b.add(Arguments.of(new HintLoss(w), n, d, d));
                }
            }
            for (int n : new int[] {1, 2, 5}) {
                for (int[] shape : new int[][] {{1, 1, 1}, {2, 3, 4}, {3, 1, 6}, {1, 4, 9}}) { // cs, ct, spatial
                    b.add(Arguments.of(new AttentionLoss(w, shape[2]), n, shape[0] * shape[2], shape[1] * shape[2]));
                }
            }
            for (int n : new int[] {2, 3, 7}) {
                for (int[] widths : new int[][] {{1, 3}, {4, 4}, {6, 2}}) {
                    b.add(Arguments.of(new SimilarityLoss(w), n, widths[0], widths[1]));
                    b.add(Arguments.of(new RkdLoss(w, 25, 50), n, widths[0], widths[1]));
                    b.add(Arguments.of(new RkdLoss(w, 1, 0), n, widths[0], widths[1]));
                    b.add(Arguments.of(new RkdLoss(w, 0, 2), n, widths[0], widths[1]));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} n={1} ds={2} dt={3}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferences(FeatureLossFunction loss, int n, int ds, int dt) {
        Random rnd = new Random(31L * n + 7L * ds + dt + loss.toString().hashCode());
        for (IActivation activation : new IActivation[] {new ActivationIdentity(), new ActivationTanH()}) {
            double[][] z = random(rnd, n, ds, 1.5);
            INDArray labels = Nd4j.create(random(rnd, n, dt, 1.0));
            INDArray analytic = loss.computeGradient(labels, Nd4j.create(z), activation, null);
            assertEquals(DataType.DOUBLE, analytic.dataType());
            assertArrayEquals(new long[] {n, ds}, analytic.shape());
            INDArray scores = loss.computeScoreArray(labels, Nd4j.create(z), activation, null);
            assertArrayEquals(new long[] {n, 1}, scores.shape());
            assertEquals(scores.sumNumber().doubleValue() / n,
                    loss.computeScore(labels, Nd4j.create(z), activation, null, true), 1e-12);
            check(loss + " " + activation, z, analytic,
                    zz -> loss.computeScoreArray(labels, Nd4j.create(zz), activation, null)
                            .sumNumber().doubleValue());
        }
    }

    static double[][] random(Random rnd, int n, int d, double scale) {
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = scale * rnd.nextGaussian();
            }
        }
        return x;
    }

    static void check(String what, double[][] z, INDArray analytic,
                      java.util.function.ToDoubleFunction<double[][]> total) {
        for (int i = 0; i < z.length; i++) {
            for (int j = 0; j < z[i].length; j++) {
                double numeric = (-at(total, z, i, j, 2 * EPS) + 8 * at(total, z, i, j, EPS)
                        - 8 * at(total, z, i, j, -EPS) + at(total, z, i, j, -2 * EPS)) / (12 * EPS);
                LossTestData.checkGradientEntry(what, i, j, analytic.getDouble(i, j), numeric, MIN_ABS_ERROR,
                        MAX_REL_ERROR);
            }
        }
    }

    private static double at(java.util.function.ToDoubleFunction<double[][]> total, double[][] z, int i, int j,
                             double h) {
        double[][] moved = LossTestData.copy(z);
        moved[i][j] += h;
        return total.applyAsDouble(moved);
    }
}
