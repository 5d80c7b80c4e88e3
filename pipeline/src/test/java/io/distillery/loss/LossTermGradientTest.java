package io.distillery.loss;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Analytic gradients of every {@link LossTerm}, and of a {@link CompositeLoss} of several terms with a mask, against
 * central differences of the summed per-example score, in double precision.
 *
 * <p>Criterion (as in DL4J's gradient checks): relative error {@code |a - f| / (|a| + |f|) < 1e-6}, except that
 * entries whose absolute difference is below 1e-9 pass, because there the relative error only measures the
 * rounding of the finite difference itself (about 1e-16 * |score| / eps).
 */
class LossTermGradientTest {

    private static final double EPS = 1e-5;
    private static final double MAX_REL_ERROR = 1e-6;
    private static final double MIN_ABS_ERROR = 1e-9;

    private static final List<LossTerm> TERMS = List.of(
            new KdTerm(1), new KdTerm(4), new KdTerm(0.5),
            new CeTerm(),
            new DkdTerm(1, 1, 8), new DkdTerm(4, 0.5, 2), new DkdTerm(2, 0, 1), new DkdTerm(3, 2, 0),
            new LogitMseTerm());

    static Stream<Arguments> termCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (LossTerm term : TERMS) {
            for (int n : new int[] {1, 5}) {
                for (int c : new int[] {2, 3, 10}) {
                    for (int offset : new int[] {0, 1}) { // n = 1: offset 0 is labelled, offset 1 unlabelled
                        b.add(Arguments.of(term, n, c, offset));
                    }
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} n={1} C={2} offset={3}")
    @MethodSource("termCases")
    void termGradientMatchesCentralDifferences(LossTerm term, int n, int c, int offset) {
        Random rnd = new Random(1000L * n + 10L * c + offset + term.describe().hashCode());
        double[][] z = LossTestData.logits(rnd, n, c, 2.0);
        INDArray labels = LossTestData.labels(LossTestData.oneHot(rnd, n, c, offset),
                LossTestData.logits(rnd, n, c, 3.0));
        INDArray analytic = term.gradient(labels, Nd4j.create(z));
        assertEquals(DataType.DOUBLE, analytic.dataType());
        assertEquals(DataType.DOUBLE, term.scoreArray(labels, Nd4j.create(z)).dataType());
        assertEquals(n, term.scoreArray(labels, Nd4j.create(z)).size(0));
        assertEquals(1, term.scoreArray(labels, Nd4j.create(z)).size(1));
        check(term.describe(), z, analytic, zz -> term.scoreArray(labels, Nd4j.create(zz)));
    }

    static Stream<Arguments> compositeCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int n : new int[] {1, 5}) {
            for (int c : new int[] {2, 3, 10}) {
                for (boolean masked : new boolean[] {false, true}) {
                    b.add(Arguments.of(n, c, masked));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "n={0} C={1} mask={2}")
    @MethodSource("compositeCases")
    void compositeGradientMatchesCentralDifferences(int n, int c, boolean masked) {
        CompositeLoss loss = fourTerms();
        Random rnd = new Random(77L * n + c + (masked ? 1 : 0));
        double[][] z = LossTestData.logits(rnd, n, c, 2.0);
        INDArray labels = LossTestData.labels(LossTestData.oneHot(rnd, n, c, 0), LossTestData.logits(rnd, n, c, 3.0));
        INDArray mask = null;
        if (masked) {
            double[] m = new double[n];
            for (int i = 0; i < n; i++) {
                m[i] = i % 2 == 0 ? 1.0 : 0.0;
            }
            mask = Nd4j.create(m, new long[] {n, 1}, DataType.DOUBLE);
        }
        INDArray maskArg = mask;
        ActivationSoftmax softmax = new ActivationSoftmax();
        INDArray analytic = loss.computeGradient(labels, Nd4j.create(z), softmax, mask);
        check(loss.formula(), z, analytic,
                zz -> loss.computeScoreArray(labels, Nd4j.create(zz), softmax, maskArg));
    }

    /** A loss per teacher (labels {@code [y | t_1 | t_2 | t_3]}): each teacher-reading term averaged over three. */
    @ParameterizedTest(name = "n={0} C={1} mask={2}")
    @MethodSource("compositeCases")
    void perTeacherCompositeGradientMatchesCentralDifferences(int n, int c, boolean masked) {
        CompositeLoss loss = fourTerms();
        Random rnd = new Random(91L * n + c + (masked ? 1 : 0));
        double[][] z = LossTestData.logits(rnd, n, c, 2.0);
        INDArray labels = Nd4j.hstack(Nd4j.create(LossTestData.oneHot(rnd, n, c, 0)),
                Nd4j.create(LossTestData.logits(rnd, n, c, 3.0)), Nd4j.create(LossTestData.logits(rnd, n, c, 3.0)),
                Nd4j.create(LossTestData.logits(rnd, n, c, 1.0)));
        INDArray mask = masked ? Nd4j.create(new double[n], new long[] {n, 1}, DataType.DOUBLE).addi(1.0)
                .putScalar(0, 0, 0.0) : null;
        ActivationSoftmax softmax = new ActivationSoftmax();
        INDArray analytic = loss.computeGradient(labels, Nd4j.create(z), softmax, mask);
        check(loss.formula() + " per teacher", z, analytic,
                zz -> loss.computeScoreArray(labels, Nd4j.create(zz), softmax, mask));
    }

    /** kd, ce, dkd and logit-mse with different weights: every kind of response term in one composite. */
    private static CompositeLoss fourTerms() {
        return CompositeLoss.builder()
                .add(0.5, new KdTerm(2))
                .add(0.3, new CeTerm())
                .add(0.7, "dkd", Map.of("temperature", 3, "beta", 4))
                .add(0.2, new LogitMseTerm())
                .build();
    }

    private static void check(String what, double[][] z, INDArray analytic,
                              Function<double[][], INDArray> scoreArray) {
        double worst = 0.0;
        for (int i = 0; i < z.length; i++) {
            for (int j = 0; j < z[i].length; j++) {
                double[][] plus = LossTestData.copy(z);
                double[][] minus = LossTestData.copy(z);
                plus[i][j] += EPS;
                minus[i][j] -= EPS;
                double fPlus = scoreArray.apply(plus).sumNumber().doubleValue();
                double fMinus = scoreArray.apply(minus).sumNumber().doubleValue();
                double numeric = (fPlus - fMinus) / (2 * EPS);
                worst = Math.max(worst, LossTestData.checkGradientEntry(what, i, j, analytic.getDouble(i, j), numeric,
                        MIN_ABS_ERROR, MAX_REL_ERROR));
            }
        }
        assertTrue(worst < MAX_REL_ERROR);
    }
}
