package io.distillery.bench;

import io.distillery.loss.SoftmaxMath;
import io.distillery.store.TopKLogits;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TailRankEstimateTest {
    private static final int C = 40;

    /** Logits whose log-probabilities vary along one direction only: z_i = m + a_i u. */
    private static Map<Long, float[]> rankOneLogits(int n, long seed) {
        Random rnd = new Random(seed);
        double[] m = new double[C];
        double[] u = new double[C];
        for (int j = 0; j < C; j++) {
            m[j] = 3 * rnd.nextGaussian();
            u[j] = rnd.nextGaussian();
        }
        Map<Long, float[]> logits = new HashMap<>();
        for (long id = 0; id < n; id++) {
            double a = rnd.nextGaussian();
            float[] z = new float[C];
            for (int j = 0; j < C; j++) {
                z[j] = (float) (m[j] + a * u[j]);
            }
            logits.put(id, z);
        }
        return logits;
    }

    @Test
    void oneDirectionIsRecoveredByRankOneAndNotByTheMeanAlone() {
        List<TailRankEstimate.Row> rows = TailRankEstimate.measure(rankOneLogits(400, 1), 3, List.of(0, 1, 2));
        assertEquals(0, rows.get(0).rank());
        assertEquals(0.0, rows.get(0).explainedVariance(), 1e-12);
        assertTrue(rows.get(0).klT4() > 1e-3, "the mean shape alone should miss: " + rows.get(0));
        assertEquals(1.0, rows.get(1).explainedVariance(), 1e-9);
        assertTrue(rows.get(1).klT4() < 1e-5 && rows.get(1).klT1() < 1e-5, rows.get(1).toString());
        assertEquals(2, rows.get(1).extraBytesPerRow());
        assertTrue(rows.get(2).klT4() < 1e-5, rows.get(2).toString());
    }

    @Test
    void rebuiltRowKeepsTheTopKExactAndTheMissingMassAtTemperatureOne() {
        Random rnd = new Random(3);
        float[] z = new float[C];
        for (int j = 0; j < C; j++) {
            z[j] = (float) (2 * rnd.nextGaussian());
        }
        double[] mean = new double[C];  // flat shape: the missing classes share their mass equally
        float[] rebuilt = TailRankEstimate.rebuild(z, 5, mean, new double[0][]);
        TopKLogits.Kept kept = TopKLogits.select(z, 5);
        double[] p = SoftmaxMath.softmax(z, 1);
        double[] q = SoftmaxMath.softmax(rebuilt, 1);
        double keptMass = 0;
        for (int i : kept.indices()) {
            assertEquals(p[i], q[i], 1e-6);
            keptMass += p[i];
        }
        double share = (1 - keptMass) / (C - 5);
        for (int j = 0; j < C; j++) {
            final int c = j;
            if (java.util.Arrays.stream(kept.indices()).noneMatch(i -> i == c)) {
                assertEquals(share, q[j], 1e-6);
            }
        }
    }

    @Test
    void basisHoldsUnitEigenvectorsOfTheCovarianceLargestFirst() {
        Random rnd = new Random(5);
        int n = 12;
        double[][] x = new double[n][n];
        for (double[] row : x) {
            for (int j = 0; j < n; j++) {
                row[j] = rnd.nextGaussian();
            }
        }
        double[][] cov = new double[n][n];  // x^T x: symmetric, positive definite
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                for (double[] row : x) {
                    cov[a][b] += row[a] * row[b];
                }
            }
        }
        TailRankEstimate.Basis basis = TailRankEstimate.Basis.of(cov);
        for (int q = 0; q < n; q++) {
            double[] u = basis.directions()[q];
            double norm = 0;
            for (int a = 0; a < n; a++) {
                double cu = 0;
                for (int b = 0; b < n; b++) {
                    cu += cov[a][b] * u[b];
                }
                assertEquals(basis.variances()[q] * u[a], cu, 1e-8, "C u = lambda u, direction " + q);
                norm += u[a] * u[a];
            }
            assertEquals(1.0, norm, 1e-10);
            if (q > 0) {
                assertTrue(basis.variances()[q] <= basis.variances()[q - 1]);
            }
        }
    }

    @Test
    void ranksOutsideTheClassCountAndOneParityOnlyAreRejected() {
        Map<Long, float[]> logits = rankOneLogits(10, 2);
        assertThrows(IllegalArgumentException.class, () -> TailRankEstimate.measure(logits, 3, List.of(C + 1)));
        Map<Long, float[]> evenOnly = new HashMap<>();
        evenOnly.put(0L, logits.get(0L));
        evenOnly.put(2L, logits.get(2L));
        assertThrows(IllegalArgumentException.class, () -> TailRankEstimate.measure(evenOnly, 3, List.of(0)));
    }
}
