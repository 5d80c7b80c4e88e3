package io.distillery.loss;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Numerical tests of {@link DistillationLoss}. All arrays are created explicitly as DOUBLE (from double[][]) instead
 * of changing ND4J's global default data type, which would leak into other test classes in the same JVM.
 */
class DistillationLossTest {

    private static final IActivation SOFTMAX = new ActivationSoftmax();
    private static final int C = 4;
    private static final int N = 7;

    static Stream<Arguments> gradientCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (double t : new double[] {1, 2, 4, 10}) {
            for (double a : new double[] {0, 0.5, 0.9, 1}) {
                for (boolean teacher : new boolean[] {true, false}) {
                    for (boolean masked : new boolean[] {false, true}) {
                        b.add(Arguments.of(t, a, teacher, masked));
                    }
                }
            }
        }
        return b.build();
    }

    /**
     * Analytic gradient vs central differences of sum(computeScoreArray), in double precision. Rows 0 and 3 are
     * unlabelled (all-zero hard part); with a mask, rows 1 and 5 are masked out.
     */
    @ParameterizedTest(name = "T={0} alpha={1} teacher={2} mask={3}")
    @MethodSource("gradientCases")
    void gradientMatchesCentralDifferences(double temperature, double alpha, boolean teacher, boolean masked) {
        Random rnd = new Random(Double.hashCode(temperature) * 31 + Double.hashCode(alpha));
        DistillationLoss loss = new DistillationLoss(temperature, alpha, C);
        double[][] z = randomLogits(rnd, 2.0);
        INDArray labels = teacher
                ? DistillationLoss.packLabels(oneHot(rnd, 0, 3), Nd4j.create(randomLogits(rnd, 3.0)))
                : oneHot(rnd, 0, 3);
        assertEquals(DataType.DOUBLE, labels.dataType());
        INDArray mask = masked ? Nd4j.create(new double[][] {{1}, {0}, {1}, {1}, {1}, {0}, {1}}) : null;

        INDArray preOutput = Nd4j.create(z);
        INDArray analytic = loss.computeGradient(labels, preOutput, SOFTMAX, mask);
        assertEquals(DataType.DOUBLE, analytic.dataType());
        assertEquals(N, analytic.size(0));
        assertEquals(C, analytic.size(1));

        double eps = 1e-6;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < C; j++) {
                double[][] plus = copy(z);
                double[][] minus = copy(z);
                plus[i][j] += eps;
                minus[i][j] -= eps;
                double fPlus = loss.computeScoreArray(labels, Nd4j.create(plus), SOFTMAX, mask).sumNumber()
                        .doubleValue();
                double fMinus = loss.computeScoreArray(labels, Nd4j.create(minus), SOFTMAX, mask).sumNumber()
                        .doubleValue();
                double numeric = (fPlus - fMinus) / (2 * eps);
                final int row = i;
                final int col = j;
                double a = analytic.getDouble(i, j);
                double absErr = Math.abs(a - numeric);
                double relErr = absErr / Math.max(Math.abs(a), Math.abs(numeric));
                // Relative error is meaningless when both are ~0 (masked rows, zero-weight terms): there the
                // absolute error must be at rounding level instead.
                assertTrue(relErr < 1e-6 || absErr < 1e-9,
                        () -> String.format("(%d,%d) analytic=%.12g numeric=%.12g", row, col, a, numeric));
            }
        }
        if (masked) {
            assertEquals(0.0, analytic.getRow(1).norm2Number().doubleValue(), 0.0);
            assertEquals(0.0, analytic.getRow(5).norm2Number().doubleValue(), 0.0);
            INDArray scores = loss.computeScoreArray(labels, preOutput, SOFTMAX, mask);
            assertEquals(0.0, scores.getDouble(1, 0), 0.0);
            assertEquals(0.0, scores.getDouble(5, 0), 0.0);
        }
    }

    /**
     * C = 2, T = 2, alpha = 0.5. Student logits z = [0, ln 3], teacher logits t = [0, 0].
     * <pre>
     *   softmax(z)     = [1/4, 3/4]
     *   softmax(z / 2) = [1, sqrt3] / (1 + sqrt3)  =: q ~ [0.366025, 0.633975]
     *   softmax(t / 2) = [1/2, 1/2]                =: p
     *   KL(p || q)     = sum 1/2 (ln 1/2 - ln q_i) = -ln 2 - (1/2) ln(sqrt3 / (1 + sqrt3)^2)
     *                  = ln(1 + sqrt3) - ln 2 - (1/4) ln 3 ~ 0.0372523
     * Row 0, y = [1, 0]:  CE = -ln(1/4) = ln 4
     *   L0 = 0.5 * 4 * KL + 0.5 * ln 4 = 2 KL + ln 2 ~ 0.7676518
     *   dL0/dz = 0.5 * 2 * (q - p) + 0.5 * (softmax(z) - y)
     *          = [q0 - 1/2, q1 - 1/2] + [-3/8, 3/8] ~ [-0.508975, 0.508975]
     * Row 1, unlabelled (y = [0, 0]), same logits:
     *   L1 = 2 KL,  dL1/dz = q - p ~ [-0.133975, 0.133975]
     * Width-C labels, row y = [1, 0]: L = ln 4 (weight 1, no soft term), dL/dz = softmax(z) - y = [-3/4, 3/4].
     * </pre>
     */
    @Test
    void matchesHandComputedTwoClassCase() {
        double sqrt3 = Math.sqrt(3);
        double kl = Math.log(1 + sqrt3) - Math.log(2) - 0.25 * Math.log(3);
        double q0 = 1 / (1 + sqrt3);
        DistillationLoss loss = new DistillationLoss(2, 0.5, 2);
        INDArray z = Nd4j.create(new double[][] {{0, Math.log(3)}, {0, Math.log(3)}});
        INDArray labels = Nd4j.create(new double[][] {{1, 0, 0, 0}, {0, 0, 0, 0}});

        INDArray scores = loss.computeScoreArray(labels, z, SOFTMAX, null);
        assertEquals(2, scores.size(0));
        assertEquals(1, scores.size(1));
        assertEquals(2 * kl + Math.log(2), scores.getDouble(0, 0), 1e-12);
        assertEquals(0.7676518, scores.getDouble(0, 0), 1e-6);
        assertEquals(2 * kl, scores.getDouble(1, 0), 1e-12);
        assertEquals((4 * kl + Math.log(2)) / 2, loss.computeScore(labels, z, SOFTMAX, null, true), 1e-12);
        assertEquals(4 * kl + Math.log(2), loss.computeScore(labels, z, SOFTMAX, null, false), 1e-12);

        INDArray grad = loss.computeGradient(labels, z, SOFTMAX, null);
        assertEquals(q0 - 0.5 - 0.375, grad.getDouble(0, 0), 1e-12);
        assertEquals(-0.508975, grad.getDouble(0, 0), 1e-6);
        assertEquals(0.5 - q0 + 0.375, grad.getDouble(0, 1), 1e-12);
        assertEquals(q0 - 0.5, grad.getDouble(1, 0), 1e-12);
        assertEquals(0.5 - q0, grad.getDouble(1, 1), 1e-12);

        Pair<Double, INDArray> both = loss.computeGradientAndScore(labels, z, SOFTMAX, null, true);
        assertEquals((4 * kl + Math.log(2)) / 2, both.getFirst(), 1e-12);
        assertTrue(both.getSecond().equalsWithEps(grad, 1e-15));

        INDArray hardOnly = Nd4j.create(new double[][] {{1, 0}});
        INDArray z0 = Nd4j.create(new double[][] {{0, Math.log(3)}});
        assertEquals(Math.log(4), loss.computeScoreArray(hardOnly, z0, SOFTMAX, null).getDouble(0, 0), 1e-12);
        INDArray gHard = loss.computeGradient(hardOnly, z0, SOFTMAX, null);
        assertEquals(-0.75, gHard.getDouble(0, 0), 1e-12);
        assertEquals(0.75, gHard.getDouble(0, 1), 1e-12);
    }

    /** The plain-Java helpers agree with the ND4J implementation on the soft term. */
    @Test
    void softTermAgreesWithSoftmaxMath() {
        Random rnd = new Random(7);
        double[][] z = randomLogits(rnd, 3.0);
        double[][] t = randomLogits(rnd, 3.0);
        DistillationLoss loss = new DistillationLoss(3, 1.0, C);
        INDArray labels = DistillationLoss.packLabels(Nd4j.zeros(DataType.DOUBLE, N, C), Nd4j.create(t));
        INDArray scores = loss.computeScoreArray(labels, Nd4j.create(z), SOFTMAX, null);
        for (int i = 0; i < N; i++) {
            double expected = 9 * SoftmaxMath.klDivergence(SoftmaxMath.softmax(t[i], 3), SoftmaxMath.softmax(z[i], 3));
            assertEquals(expected, scores.getDouble(i, 0), 1e-12);
        }
    }

    @ParameterizedTest(name = "{0} T={1}")
    @MethodSource("extremeCases")
    void extremeLogitsGiveFiniteValues(DataType type, double temperature) {
        DistillationLoss loss = new DistillationLoss(temperature, 0.5, 3);
        INDArray z = Nd4j.create(new double[][] {{1e4, -1e4, 0}, {-1e4, -1e4, -1e4}, {0, 0, 1e4}}).castTo(type);
        INDArray labels = Nd4j.create(new double[][] {
                {0, 1, 0, -1e4, 1e4, 0},   // the student is confidently wrong on both terms
                {1, 0, 0, 1e4, 0, -1e4},
                {0, 0, 0, 0, 0, 1e4}}).castTo(type);
        INDArray scores = loss.computeScoreArray(labels, z, SOFTMAX, null);
        INDArray grad = loss.computeGradient(labels, z, SOFTMAX, null);
        assertEquals(type, scores.dataType());
        assertEquals(type, grad.dataType());
        for (int i = 0; i < 3; i++) {
            assertTrue(Double.isFinite(scores.getDouble(i, 0)), "score row " + i + " = " + scores.getDouble(i, 0));
            for (int j = 0; j < 3; j++) {
                assertTrue(Double.isFinite(grad.getDouble(i, j)), "grad " + i + "," + j);
            }
        }
        // Row 0: hard CE = 2e4 (log-prob of class 1 is -2e4), so the score is large but finite.
        assertTrue(scores.getDouble(0, 0) > 9_000);
        // Row 2: unlabelled and student agrees with the teacher exactly: score ~0.
        assertEquals(0.0, scores.getDouble(2, 0), 1e-3);
        assertTrue(Double.isFinite(loss.computeScore(labels, z, SOFTMAX, null, true)));
    }

    static Stream<Arguments> extremeCases() {
        return Stream.of(Arguments.of(DataType.FLOAT, 1.0), Arguments.of(DataType.FLOAT, 10.0),
                Arguments.of(DataType.DOUBLE, 1.0), Arguments.of(DataType.DOUBLE, 10.0));
    }

    @Test
    void floatInputStaysFloatAndMatchesDouble() {
        Random rnd = new Random(3);
        DistillationLoss loss = new DistillationLoss(4, 0.9, C);
        INDArray labelsD = DistillationLoss.packLabels(oneHot(rnd, 2), Nd4j.create(randomLogits(rnd, 3.0)));
        INDArray zD = Nd4j.create(randomLogits(rnd, 2.0));
        INDArray gD = loss.computeGradient(labelsD, zD, SOFTMAX, null);
        INDArray gF = loss.computeGradient(labelsD.castTo(DataType.FLOAT), zD.castTo(DataType.FLOAT), SOFTMAX, null);
        assertEquals(DataType.FLOAT, gF.dataType());
        assertTrue(gF.castTo(DataType.DOUBLE).equalsWithEps(gD, 1e-5));
    }

    @Test
    void rejectsInvalidArguments() {
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(0, 0.5, 3));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(Double.NaN, 0.5, 3));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(2, 1.5, 3));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(2, -0.1, 3));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(2, 0.5, 0));

        DistillationLoss loss = new DistillationLoss(2, 0.5, 3);
        INDArray z = Nd4j.create(new double[][] {{1, 2, 3}});
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeScoreArray(Nd4j.create(new double[][] {{1, 0, 0}}), z, new ActivationIdentity(),
                        null));
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeGradient(Nd4j.create(new double[][] {{1, 0, 0, 0}}), z, SOFTMAX, null));
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeGradient(Nd4j.create(new double[][] {{1, 0}}), Nd4j.create(new double[][] {{1, 2}}),
                        SOFTMAX, null));
        assertThrows(UnsupportedOperationException.class,
                () -> loss.computeGradient(Nd4j.create(new double[][] {{1, 0, 0}}), z, SOFTMAX,
                        Nd4j.create(new double[][] {{1, 0, 1}})));
    }

    @Test
    void equalityAndToString() {
        assertEquals(new DistillationLoss(4, 0.9, 3), new DistillationLoss(4, 0.9, 3));
        assertEquals(new DistillationLoss(4, 0.9, 3).hashCode(), new DistillationLoss(4, 0.9, 3).hashCode());
        assertFalse(new DistillationLoss(4, 0.9, 3).equals(new DistillationLoss(4, 0.9, 4)));
        assertFalse(new DistillationLoss(4, 0.9, 3).equals(new DistillationLoss(2, 0.9, 3)));
        assertEquals("DistillationLoss(temperature=4.0, alpha=0.9, numClasses=3)",
                new DistillationLoss(4, 0.9, 3).name());
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static double[][] randomLogits(Random rnd, double scale) {
        double[][] z = new double[N][C];
        for (double[] row : z) {
            for (int j = 0; j < C; j++) {
                row[j] = rnd.nextGaussian() * scale;
            }
        }
        return z;
    }

    /** N one-hot rows in DOUBLE; the listed rows are left all-zero (unlabelled). */
    private static INDArray oneHot(Random rnd, int... unlabelled) {
        double[][] y = new double[N][C];
        for (int i = 0; i < N; i++) {
            y[i][rnd.nextInt(C)] = 1;
        }
        for (int i : unlabelled) {
            y[i] = new double[C];
        }
        return Nd4j.create(y);
    }

    private static double[][] copy(double[][] a) {
        double[][] b = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i].clone();
        }
        return b;
    }
}
