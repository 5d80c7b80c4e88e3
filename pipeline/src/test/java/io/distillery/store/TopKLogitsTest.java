package io.distillery.store;

import io.distillery.config.MissingMass;
import io.distillery.loss.SoftmaxMath;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static java.lang.Math.exp;
import static java.lang.Math.log;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TopKLogits}: selection, exact reconstruction when every class is kept, the exact missing mass at T = 1
 * under {@code uniform}, renormalisation, values worked out by hand, clamping, and bad entries.
 */
class TopKLogitsTest {

    private static float[] rebuild(TopKLogits.Kept kept, int c, MissingMass mm) {
        float[] lp = new float[kept.logProbs().length];
        for (int i = 0; i < lp.length; i++) {
            lp[i] = (float) kept.logProbs()[i];
        }
        float[] out = new float[c];
        TopKLogits.reconstruct(kept.indices(), lp, (float) kept.logSumExp(), (float) kept.logRest(), c, mm, out, 0);
        return out;
    }

    private static float[] randomLogits(Random rnd, int c, double scale) {
        float[] z = new float[c];
        for (int i = 0; i < c; i++) {
            z[i] = (float) (scale * rnd.nextGaussian());
        }
        return z;
    }

    @Test
    void selectKeepsTheMostProbableFirstTiesToTheLowerIndex() {
        float[] z = {0.5f, 3f, -1f, 3f, 2f, 0.5f};
        TopKLogits.Kept k = TopKLogits.select(z, 4);
        assertArrayEquals(new int[] {1, 3, 4, 0}, k.indices());
        double lse = log(exp(0.5) * 2 + exp(3) * 2 + exp(-1) + exp(2));
        assertEquals(lse, k.logSumExp(), 1e-12);
        assertEquals(3 - lse, k.logProbs()[0], 1e-6);
        assertEquals(0.5 - lse, k.logProbs()[3], 1e-6);
        assertArrayEquals(new int[] {1, 3, 4, 0, 5, 2}, TopKLogits.select(z, 10).indices(), "k > C keeps all");
        assertArrayEquals(new int[] {1}, TopKLogits.select(z, 1).indices());
        // Against a full sort on random rows.
        Random rnd = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            float[] r = randomLogits(rnd, 50, 3);
            int[] top = TopKLogits.select(r, 7).indices();
            Integer[] order = new Integer[50];
            for (int i = 0; i < 50; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> r[a] != r[b] ? Float.compare(r[b], r[a]) : Integer.compare(a, b));
            for (int i = 0; i < 7; i++) {
                assertEquals(order[i], top[i]);
            }
        }
    }

    @Test
    void keepingEveryClassRebuildsTheTeacherExactly() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 100; trial++) {
            float[] z = randomLogits(rnd, 20, 4);
            for (MissingMass mm : MissingMass.values()) {
                float[] back = rebuild(TopKLogits.select(z, 20), 20, mm);
                for (double t : new double[] {1, 4}) {
                    double kl = SoftmaxMath.klDivergence(SoftmaxMath.softmax(z, t), SoftmaxMath.softmax(back, t));
                    assertEquals(0.0, kl, 1e-12, "T=" + t);
                }
                for (int i = 0; i < 20; i++) {
                    assertEquals(z[i], back[i], 1e-5, "logit " + i); // z = lp + lse, each float-rounded once
                }
            }
        }
    }

    @Test
    void uniformGivesTheKeptProbabilitiesAndTheMissingMassExactlyAtTemperatureOne() {
        Random rnd = new Random(2);
        for (int trial = 0; trial < 100; trial++) {
            float[] z = randomLogits(rnd, 100, 3);
            TopKLogits.Kept kept = TopKLogits.select(z, 10);
            double[] p = SoftmaxMath.softmax(z, 1);
            double[] q = SoftmaxMath.softmax(rebuild(kept, 100, MissingMass.UNIFORM), 1);
            double rest = 1;
            boolean[] isKept = new boolean[100];
            for (int c : kept.indices()) {
                assertEquals(p[c], q[c], 2e-5 * p[c], "kept class " + c);
                rest -= p[c];
                isKept[c] = true;
            }
            double missing = 0;
            for (int c = 0; c < 100; c++) {
                if (!isKept[c]) {
                    assertEquals(rest / 90, q[c], 2e-5 * rest / 90, "missing class " + c + " gets an equal share");
                    missing += q[c];
                }
            }
            assertEquals(rest, missing, 2e-5 * rest); // exact up to the float32 rounding of the stored values
        }
    }

    @Test
    void handComputedRow() {
        // z = (2, 1, 0, -1), k = 2: lse = log(e^2 + e + 1 + 1/e), kept (0, 1), rest = (1 + 1/e) / e^lse.
        // uniform: each missing logit = lse + log(rest / 2) = log((1 + 1/e) / 2) = -0.379885...
        // renormalise: p = (e^2, e) / (e^2 + e) = (0.731059, 0.268941), 0, 0.
        float[] z = {2, 1, 0, -1};
        TopKLogits.Kept kept = TopKLogits.select(z, 2);
        float[] u = rebuild(kept, 4, MissingMass.UNIFORM);
        double m = log((1 + exp(-1)) / 2);
        assertEquals(-0.3798854930417225, m, 1e-15);
        assertArrayEquals(new float[] {2, 1, (float) m, (float) m}, u, 1e-6f);
        double[] pr = SoftmaxMath.softmax(rebuild(kept, 4, MissingMass.RENORMALISE), 1);
        assertArrayEquals(new double[] {exp(2) / (exp(2) + exp(1)), exp(1) / (exp(2) + exp(1)), 0, 0}, pr, 1e-7);
        // At T = 4 the renormalised tail is still nothing: e^(-10^4 / 4) underflows.
        double[] pr4 = SoftmaxMath.softmax(rebuild(kept, 4, MissingMass.RENORMALISE), 4);
        assertEquals(0.0, pr4[2] + pr4[3], 0.0);
        assertEquals(1 / (1 + exp(-0.25)), pr4[0], 1e-7);
    }

    @Test
    void theStoredMissingMassIsExactEvenWhenTheKeptValuesCannotShowIt() {
        // A very confident row: the mass outside the top 2 is about 2e-13, below what 1 - sum exp(lp_i) can
        // resolve from float16 (or even float32) values. The stored log missing mass keeps it exact, so the
        // uniform reconstruction gives the missing classes their share instead of 0.
        float[] z = {40, 12, 10, 9, 8};
        TopKLogits.Kept kept = TopKLogits.select(z, 2);
        double rest = (exp(10) + exp(9) + exp(8)) / (exp(40) + exp(12) + exp(10) + exp(9) + exp(8));
        assertEquals(log(rest), kept.logRest(), 1e-9);
        float[] lp = {Half.toFloat(Half.toHalf((float) kept.logProbs()[0])),
                Half.toFloat(Half.toHalf((float) kept.logProbs()[1]))};
        assertTrue(1 - exp(lp[0]) - exp(lp[1]) <= 0 || 1 - exp(lp[0]) - exp(lp[1]) > 10 * rest,
                "float16 values alone cannot give the missing mass");
        float[] out = new float[5];
        TopKLogits.reconstruct(kept.indices(), lp, (float) kept.logSumExp(), (float) kept.logRest(), 5,
                MissingMass.UNIFORM, out, 0);
        double[] q = SoftmaxMath.softmax(out, 1);
        assertEquals(rest, q[2] + q[3] + q[4], 1e-6 * rest);
        assertEquals(q[2], q[4], 1e-6 * q[2]);
        assertTrue(Double.isFinite(SoftmaxMath.klDivergence(SoftmaxMath.softmax(z, 4), SoftmaxMath.softmax(out, 4))));
        // Every class kept: no missing mass.
        assertEquals(Double.NEGATIVE_INFINITY, TopKLogits.select(z, 5).logRest());
    }

    @Test
    void extremeValuesAreClampedToFiniteLogits() {
        // A -infinity log-probability and a missing mass that underflowed (-infinity) both become the floor.
        float[] out = new float[4];
        TopKLogits.reconstruct(new int[] {3, 0}, new float[] {-0.0001f, Float.NEGATIVE_INFINITY}, 7f,
                Float.NEGATIVE_INFINITY, 4, MissingMass.UNIFORM, out, 0);
        for (float v : out) {
            assertTrue(Float.isFinite(v), java.util.Arrays.toString(out));
        }
        assertEquals(7f + (float) TopKLogits.MISSING_LOG_PROB, out[0], 1e-3f);
        assertEquals(7f + (float) TopKLogits.MISSING_LOG_PROB, out[1], 1e-3f);
        assertEquals(7f - 0.0001f, out[3], 1e-6f);
    }

    @Test
    void writesAtTheOffsetOnly() {
        float[] out = {9, 9, 0, 0, 0, 9};
        TopKLogits.reconstruct(new int[] {1}, new float[] {(float) log(0.5)}, 0f, (float) log(0.5), 3,
                MissingMass.UNIFORM, out, 2);
        assertArrayEquals(new float[] {9, 9, (float) log(0.25), (float) log(0.5), (float) log(0.25), 9}, out, 1e-6f);
    }

    @Test
    void badEntriesAreRefusedWithTheValue() {
        float[] out = new float[3];
        String m = assertThrows(IllegalArgumentException.class, () -> TopKLogits.reconstruct(new int[] {3},
                new float[] {0}, 0, -1, 3, MissingMass.UNIFORM, out, 0)).getMessage();
        assertTrue(m.contains("class index 3, outside [0, 3)"), m);
        m = assertThrows(IllegalArgumentException.class, () -> TopKLogits.reconstruct(new int[] {-1},
                new float[] {0}, 0, -1, 3, MissingMass.UNIFORM, out, 0)).getMessage();
        assertTrue(m.contains("class index -1"), m);
        m = assertThrows(IllegalArgumentException.class, () -> TopKLogits.reconstruct(new int[] {1, 1},
                new float[] {-1, -1}, 0, -1, 3, MissingMass.UNIFORM, out, 0)).getMessage();
        assertTrue(m.contains("class 1 twice"), m);
        m = assertThrows(IllegalArgumentException.class, () -> TopKLogits.reconstruct(new int[] {0, 1, 2, 0},
                new float[] {-1, -1, -1, -1}, 0, -1, 3, MissingMass.UNIFORM, out, 0)).getMessage();
        assertTrue(m.contains("keeps 4 classes of 3"), m);
        m = assertThrows(IllegalArgumentException.class, () -> TopKLogits.reconstruct(new int[] {0},
                new float[] {-1}, Float.NaN, -1, 3, MissingMass.UNIFORM, out, 0)).getMessage();
        assertTrue(m.contains("log-sum-exp NaN"), m);
        m = assertThrows(IllegalArgumentException.class, () -> TopKLogits.reconstruct(new int[] {0},
                new float[] {-1}, 0, Float.NaN, 3, MissingMass.UNIFORM, out, 0)).getMessage();
        assertTrue(m.contains("log missing mass NaN"), m);
    }

    @Test
    void float16KeptValuesStillGiveTheKeptProbabilitiesClosely() {
        // Log-probabilities in float16: |error| <= |lp| 2^-11, so each kept probability is within that relative
        // error, and the missing mass (stored in float32) is exact to float32.
        Random rnd = new Random(5);
        for (int trial = 0; trial < 100; trial++) {
            float[] z = randomLogits(rnd, 1000, 1);
            z[rnd.nextInt(1000)] += 14;
            TopKLogits.Kept kept = TopKLogits.select(z, 10);
            float[] lp = new float[10];
            for (int i = 0; i < 10; i++) {
                lp[i] = Half.toFloat(Half.toHalf((float) kept.logProbs()[i]));
            }
            float[] out = new float[1000];
            TopKLogits.reconstruct(kept.indices(), lp, (float) kept.logSumExp(), (float) kept.logRest(), 1000,
                    MissingMass.UNIFORM, out, 0);
            double[] p = SoftmaxMath.softmax(z, 1);
            double[] q = SoftmaxMath.softmax(out, 1);
            for (int i = 0; i < 10; i++) {
                int c = kept.indices()[i];
                assertEquals(p[c], q[c], p[c] * (Math.abs(kept.logProbs()[i]) * 0x1p-11 + 1e-4), "class " + c);
            }
        }
    }
}
