package io.distillery.loss;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static java.lang.Math.log;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each term on a tiny case worked out by hand (the arithmetic is in the comments), and on extreme logits. */
class LossTermValueTest {

    private static final double TOL = 1e-12;

    private static INDArray labels(double[][] y, double[][] t) {
        return LossTestData.labels(y, t);
    }

    private static void assertRow(double[] expected, INDArray actual, int row) {
        for (int j = 0; j < expected.length; j++) {
            assertEquals(expected[j], actual.getDouble(row, j), TOL, "column " + j);
        }
    }

    @Test
    void kdByHand() {
        // T = 2, t = (2 ln 3, 0): t/T = (ln 3, 0), p = (3/4, 1/4). z = (0, 0): q = (1/2, 1/2).
        // KL(p || q) = 3/4 ln(3/2) + 1/4 ln(1/2); times T^2 = 4: 3 ln(3/2) - ln 2 = ln(27/16) ~ 0.52325.
        // Gradient T (q - p) = 2 (-1/4, 1/4) = (-1/2, 1/2). The hard label plays no part.
        INDArray l = labels(new double[][] {{0, 1}}, new double[][] {{2 * log(3), 0}});
        INDArray z = Nd4j.create(new double[][] {{0, 0}});
        KdTerm kd = new KdTerm(2);
        assertEquals(log(27.0 / 16.0), kd.scoreArray(l, z).getDouble(0, 0), TOL);
        assertRow(new double[] {-0.5, 0.5}, kd.gradient(l, z), 0);
    }

    @Test
    void ceByHand() {
        // Row 0: y = (1, 0), z = (ln 3, 0): p = (3/4, 1/4), CE = -ln(3/4) = ln(4/3); gradient p - y = (-1/4, 1/4).
        // Row 1: unlabelled (y = 0): CE = 0, gradient 0, whatever z and t are.
        INDArray l = labels(new double[][] {{1, 0}, {0, 0}}, new double[][] {{5, -5}, {5, -5}});
        INDArray z = Nd4j.create(new double[][] {{log(3), 0}, {1, 2}});
        CeTerm ce = new CeTerm();
        INDArray s = ce.scoreArray(l, z);
        assertEquals(log(4.0 / 3.0), s.getDouble(0, 0), TOL);
        assertEquals(0.0, s.getDouble(1, 0), 0.0);
        INDArray g = ce.gradient(l, z);
        assertRow(new double[] {-0.25, 0.25}, g, 0);
        assertRow(new double[] {0, 0}, g, 1);
    }

    @Test
    void logitMseByHand() {
        // z - t = (1, 2, 3) - (0, 2, 5) = (1, 0, -2); 0.5 * mean(1, 0, 4) = 0.5 * 5/3 = 5/6.
        // Gradient (z - t) / C = (1/3, 0, -2/3).
        INDArray l = labels(new double[][] {{0, 0, 0}}, new double[][] {{0, 2, 5}});
        INDArray z = Nd4j.create(new double[][] {{1, 2, 3}});
        LogitMseTerm mse = new LogitMseTerm();
        assertEquals(5.0 / 6.0, mse.scoreArray(l, z).getDouble(0, 0), TOL);
        assertRow(new double[] {1.0 / 3, 0, -2.0 / 3}, mse.gradient(l, z), 0);
    }

    @Test
    void dkdByHand() {
        // T = 2, alpha = 1, beta = 8. t = 2 ln p with p = (1/2, 1/4, 1/4); z = 2 ln q with q = (1/4, 1/4, 1/2),
        // so softmax(t/T) = p and softmax(z/T) = q.
        // Row 0: labelled, target 0. Binary: b_t = (1/2, 1/2), b_s = (1/4, 3/4):
        //   TCKD = 1/2 ln(2) + 1/2 ln(2/3) = 1/2 ln(4/3).
        //   Non-target renormalised: p^ = (1/2, 1/2), q^ = (1/3, 2/3): NCKD = 1/2 ln(3/2) + 1/2 ln(3/4) = 1/2 ln(9/8).
        //   L = T^2 (1/2 ln(4/3) + 8 * 1/2 ln(9/8)) = 2 ln(4/3) + 16 ln(9/8) ~ 2.4599.
        //   Gradient, q_g - p_g = -1/4: z_0: T alpha (-1/4) = -1/2;
        //   z_1: T (-alpha (-1/4)(1/3) + 8 (1/3 - 1/2)) = 2 (1/12 - 16/12) = -5/2;
        //   z_2: T (-alpha (-1/4)(2/3) + 8 (2/3 - 1/2)) = 2 (1/6 + 8/6) = 3.   (The row sums to 0.)
        // Row 1: unlabelled, so the target is the teacher's argmax, class 0: the same as row 0.
        // Row 2: labelled with class 2 (not the teacher's argmax): b_t = (1/4, 3/4), b_s = (1/2, 1/2):
        //   TCKD = 1/4 ln(1/2) + 3/4 ln(3/2); p^ = (2/3, 1/3), q^ = (1/2, 1/2): NCKD = 2/3 ln(4/3) + 1/3 ln(2/3).
        double[] t = {2 * log(0.5), 2 * log(0.25), 2 * log(0.25)};
        double[] zRow = {2 * log(0.25), 2 * log(0.25), 2 * log(0.5)};
        INDArray l = labels(new double[][] {{1, 0, 0}, {0, 0, 0}, {0, 0, 1}}, new double[][] {t, t, t});
        INDArray z = Nd4j.create(new double[][] {zRow, zRow, zRow});
        DkdTerm dkd = new DkdTerm(2, 1, 8);
        INDArray s = dkd.scoreArray(l, z);
        double row0 = 2 * log(4.0 / 3) + 16 * log(9.0 / 8);
        assertEquals(row0, s.getDouble(0, 0), TOL);
        assertEquals(row0, s.getDouble(1, 0), TOL);
        double tckd2 = 0.25 * log(0.5) + 0.75 * log(1.5);
        double nckd2 = 2.0 / 3 * log(4.0 / 3) + 1.0 / 3 * log(2.0 / 3);
        assertEquals(4 * (tckd2 + 8 * nckd2), s.getDouble(2, 0), TOL);
        INDArray g = dkd.gradient(l, z);
        assertRow(new double[] {-0.5, -2.5, 3}, g, 0);
        assertRow(new double[] {-0.5, -2.5, 3}, g, 1);
    }

    @Test
    void dkdWithAlphaAndBetaSeparatesTheTwoParts() {
        // Same row 0 as above: alpha = 1, beta = 0 leaves T^2 TCKD = 4 * 1/2 ln(4/3); alpha = 0, beta = 1 leaves
        // T^2 NCKD = 4 * 1/2 ln(9/8).
        double[] t = {2 * log(0.5), 2 * log(0.25), 2 * log(0.25)};
        INDArray l = labels(new double[][] {{1, 0, 0}}, new double[][] {t});
        INDArray z = Nd4j.create(new double[][] {{2 * log(0.25), 2 * log(0.25), 2 * log(0.5)}});
        assertEquals(2 * log(4.0 / 3), new DkdTerm(2, 1, 0).scoreArray(l, z).getDouble(0, 0), TOL);
        assertEquals(2 * log(9.0 / 8), new DkdTerm(2, 0, 1).scoreArray(l, z).getDouble(0, 0), TOL);
    }

    @Test
    void termsStayFiniteOnExtremeLogitsInFloat() {
        INDArray l = labels(new double[][] {{0, 1, 0}, {0, 0, 0}}, new double[][] {{-1e4, 1e4, 5}, {1e4, 0, -1e4}})
                .castTo(DataType.FLOAT);
        INDArray z = Nd4j.create(new double[][] {{1e4, -1e4, 0}, {-1e4, 1e4, 3}}).castTo(DataType.FLOAT);
        for (LossTerm term : new LossTerm[] {new KdTerm(1), new CeTerm(), new DkdTerm(4, 1, 8), new DkdTerm(1, 1, 8),
                new LogitMseTerm()}) {
            INDArray s = term.scoreArray(l, z);
            INDArray g = term.gradient(l, z);
            assertEquals(DataType.FLOAT, s.dataType(), term.describe());
            assertEquals(DataType.FLOAT, g.dataType(), term.describe());
            for (int i = 0; i < 2; i++) {
                assertTrue(Double.isFinite(s.getDouble(i, 0)) && s.getDouble(i, 0) >= 0, term.describe());
                for (int j = 0; j < 3; j++) {
                    assertTrue(Double.isFinite(g.getDouble(i, j)), term.describe());
                }
            }
        }
    }

    @Test
    void termsRejectBadParametersAndShapes() {
        assertThrows(IllegalArgumentException.class, () -> new KdTerm(0));
        assertThrows(IllegalArgumentException.class, () -> new DkdTerm(1, -1, 8));
        assertThrows(IllegalArgumentException.class, () -> new DkdTerm(1, 1, Double.NaN));
        INDArray z = Nd4j.create(new double[][] {{1, 2}});
        assertThrows(IllegalArgumentException.class,
                () -> new CeTerm().scoreArray(Nd4j.create(new double[][] {{1, 0}}), z));
        INDArray oneClass = Nd4j.create(new double[][] {{1}});
        assertThrows(IllegalArgumentException.class,
                () -> new DkdTerm(1, 1, 8).scoreArray(Nd4j.create(new double[][] {{1, 3}}), oneClass));
    }
}
