package io.distillery.loss;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Values of the feature- and relation-based losses on small cases computed by hand (the arithmetic is in each
 * comment). {@code computeScore(average = true)} is what DL4J reports and minimises: the mean per-example value for
 * {@code hint} and {@code attention}, the batch loss L for {@code similarity} and {@code rkd}.
 */
class FeatureLossValueTest {

    private static final ActivationIdentity ID = new ActivationIdentity();

    private static double score(ILossFunction loss, double[][] labels, double[][] out) {
        return loss.computeScore(Nd4j.create(labels), Nd4j.create(out), ID, null, true);
    }

    private static double[] rows(ILossFunction loss, double[][] labels, double[][] out) {
        INDArray s = loss.computeScoreArray(Nd4j.create(labels), Nd4j.create(out), ID, null);
        return s.reshape(s.length()).toDoubleVector();
    }

    @Test
    void hint() {
        // r = (1, 3), t = (0, 1): squared differences 1 and 4, mean 2.5, times 0.5 = 1.25, times weight 2 = 2.5.
        assertEquals(2.5, score(new HintLoss(2), new double[][] {{0, 1}}, new double[][] {{1, 3}}), 1e-12);
        // Two rows: the second is exact (0), so the mean over rows is 2.5 / 2.
        assertEquals(1.25, score(new HintLoss(2), new double[][] {{0, 1}, {5, 5}}, new double[][] {{1, 3}, {5, 5}}),
                1e-12);
    }

    @Test
    void attention() {
        // Spatial size 2. Student, 2 channels: c0 = (1, 0), c1 = (1, 2), flattened NCHW (1, 0, 1, 2).
        //   q = (1 + 1, 0 + 4) = (2, 4), |q| = sqrt(20), q^ = (1, 2) / sqrt(5).
        // Teacher, 1 channel: (3, 0) -> q = (9, 0) -> q^ = (1, 0).
        //   (1/sqrt5 - 1)^2 + (2/sqrt5)^2 = 1 - 2/sqrt5 + 1/5 + 4/5 = 2 - 2/sqrt5; mean over 2 positions = 1 - 1/sqrt5.
        double expected = 1 - 1 / Math.sqrt(5);
        assertEquals(expected, score(new AttentionLoss(1, 2), new double[][] {{3, 0}}, new double[][] {{1, 0, 1, 2}}),
                1e-9);
        // The map is scale-free: a teacher 10x larger with the same pattern gives the same value; weight 500 scales.
        assertEquals(500 * expected, score(new AttentionLoss(500, 2), new double[][] {{30, 0}},
                new double[][] {{1, 0, 1, 2}}), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> score(new AttentionLoss(1, 3), new double[][] {{3, 0, 0}},
                new double[][] {{1, 0, 1, 2}}));
    }

    @Test
    void similarity() {
        // b = 2. Student rows (1, 0), (0, 1): G = I, rows already unit -> G^s = I.
        // Teacher rows (1), (1): G = [[1, 1], [1, 1]], rows normalised -> every entry 1/sqrt2.
        // D = G^s - G^t: diagonal 1 - 1/sqrt2, off-diagonal -1/sqrt2.
        // |D|^2 = 2 (1 - 1/sqrt2)^2 + 2 * 1/2 = 2 (3/2 - sqrt2) + 1 = 4 - 2 sqrt2.
        // L = |D|^2 / b^2 = 1 - sqrt2 / 2; each row's score = (1/b) * its row of D^2 = (2 - sqrt2) / 2 = L.
        double l = 1 - Math.sqrt(2) / 2;
        double[][] t = {{1}, {1}};
        double[][] s = {{1, 0}, {0, 1}};
        assertEquals(l, score(new SimilarityLoss(1), t, s), 1e-9);
        assertArrayEquals(new double[] {l, l}, rows(new SimilarityLoss(1), t, s), 1e-9);
        assertEquals(3000 * l, score(new SimilarityLoss(3000), t, s), 1e-6);
        // Scaling either side leaves the row-normalised Gram matrices unchanged: identical patterns cost 0.
        assertEquals(0, score(new SimilarityLoss(1), new double[][] {{2, 0}, {0, 2}}, s), 1e-12);
    }

    @Test
    void rkdDistance() {
        // Points on a line (width 1), distance term only (w_d = 1, w_a = 0), b = 3.
        // Student 0, 1, 3: d01 = 1, d02 = 3, d12 = 2, mean mu = 2 -> psi = 0.5, 1.5, 1.
        // Teacher 0, 2, 3: d01 = 2, d02 = 3, d12 = 1, mean mu = 2 -> psi = 1, 1.5, 0.5.
        // Differences -0.5, 0, 0.5 -> Huber 0.125, 0, 0.125; each pair counts twice (ij and ji): sum 0.5.
        // L_D = 0.5 / b^2 = 1/18.
        double[][] s = {{0}, {1}, {3}};
        double[][] t = {{0}, {2}, {3}};
        assertEquals(1.0 / 18, score(new RkdLoss(1, 1, 0), t, s), 1e-12);
        // Collinear points: every angle is 0 or 180 degrees for both (cos +-1, the same), so the angle term adds 0
        // and the paper's weights give 2 * (25 / 18 + 50 * 0).
        assertEquals(2 * 25.0 / 18, score(new RkdLoss(2, 25, 50), t, s), 1e-9);
        // Huber's linear part: student 0, 1, 10 (mu = 20/3), teacher 0, 10, 11 (mu = 22/3).
        //   psi_s = (0.15, 1.5, 1.35) for pairs (01, 02, 12); psi_t = (15/11, 33/22, 3/22).
        //   |01| = 0.15 - 15/11 = -1.21364 -> 1.21364 - 0.5; |02| = 0; |12| = 1.35 - 3/22 = 1.21364 -> same.
        double x = 15.0 / 11 - 0.15;
        assertEquals(2 * 2 * (x - 0.5) / 9, score(new RkdLoss(1, 1, 0), new double[][] {{0}, {10}, {11}},
                new double[][] {{0}, {1}, {10}}), 1e-12);
    }

    @Test
    void rkdAngle() {
        // Angle term only (w_d = 0, w_a = 1), b = 3, in the plane.
        // Student (0,0), (1,0), (0,1): cos at p0 between p1, p2 = 0; at p1 = 1/sqrt2; at p2 = 1/sqrt2.
        // Teacher (0,0), (1,0), (1,1): cos at q0 = 1/sqrt2; at q1 = 0; at q2 = 1/sqrt2.
        // Per anchor j, the triplets (j, i, k) with i, k != j: 2 with i = k (cos 1 for both: 0) and 2 with i != k
        // (the same angle twice). Differences -1/sqrt2, 1/sqrt2, 0 -> Huber 1/4, 1/4, 0 -> sum 2 * (1/4 + 1/4) = 1.
        // L_A = 1 / b^3 = 1/27; row scores b * (anchor's sum) / b^3 = (1/18, 1/18, 0).
        double[][] s = {{0, 0}, {1, 0}, {0, 1}};
        double[][] t = {{0, 0}, {1, 0}, {1, 1}};
        assertEquals(1.0 / 27, score(new RkdLoss(1, 0, 1), t, s), 1e-12);
        assertArrayEquals(new double[] {1.0 / 18, 1.0 / 18, 0}, rows(new RkdLoss(1, 0, 1), t, s), 1e-12);
    }

    @Test
    void rkdIgnoresScaleTranslationAndWidth() {
        // Distances are divided by their mean and angles are invariant: a teacher that is the student scaled by 2,
        // translated and embedded in 3 dimensions costs 0.
        double[][] s = {{0, 0}, {1, 0}, {0, 1}, {2, 3}};
        double[][] t = {{5, 5, 1}, {7, 5, 1}, {5, 7, 1}, {9, 11, 1}};
        assertEquals(0, score(new RkdLoss(1, 25, 50), t, s), 1e-12);
        // Two identical student rows: their distance is 0 and they make no angle, and nothing is NaN.
        double[][] dup = {{0, 0}, {1, 0}, {1, 0}};
        INDArray g = new RkdLoss(1, 25, 50).computeGradient(Nd4j.create(t).get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3), org.nd4j.linalg.indexing.NDArrayIndex.all()),
                Nd4j.create(dup), ID, null);
        for (double v : g.data().asDouble()) {
            assertEquals(true, Double.isFinite(v));
        }
    }
}
