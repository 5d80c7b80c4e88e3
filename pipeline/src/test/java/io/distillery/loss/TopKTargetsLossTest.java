package io.distillery.loss;

import io.distillery.config.MissingMass;
import io.distillery.store.TopKLogits;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The losses on teacher rows rebuilt from a top-k store: with {@code renormalise} the missing classes' probability
 * is 0, and no term may turn {@code 0 * log 0} into NaN; the KD term then equals T^2 KL against the kept
 * probabilities renormalised, computed independently.
 */
class TopKTargetsLossTest {

    private static final int C = 50;

    /** Labels [one-hot | rebuilt teacher logits] for n random rows, in float as training builds them. */
    private static INDArray labels(Random rnd, int n, int k, MissingMass mm, float[][] teacherOut) {
        float[] flat = new float[n * 2 * C];
        for (int r = 0; r < n; r++) {
            float[] z = new float[C];
            for (int i = 0; i < C; i++) {
                z[i] = (float) (3 * rnd.nextGaussian());
            }
            TopKLogits.Kept kept = TopKLogits.select(z, k);
            float[] lp = new float[kept.logProbs().length];
            for (int i = 0; i < lp.length; i++) {
                lp[i] = (float) kept.logProbs()[i];
            }
            if (r % 2 == 0) {
                // Labelled with a class the store did not keep (if any), the hard case for dkd.
                flat[r * 2 * C + (kept.indices().length == C ? 0 : missingClass(kept.indices()))] = 1;
            }
            TopKLogits.reconstruct(kept.indices(), lp, (float) kept.logSumExp(), (float) kept.logRest(), C, mm, flat,
                    r * 2 * C + C);
            teacherOut[r] = java.util.Arrays.copyOfRange(flat, r * 2 * C + C, r * 2 * C + 2 * C);
        }
        return Nd4j.create(flat, new long[] {n, 2 * C}, 'c');
    }

    private static int missingClass(int[] kept) {
        for (int c = 0; ; c++) {
            final int cc = c;
            if (java.util.Arrays.stream(kept).noneMatch(i -> i == cc)) {
                return c;
            }
        }
    }

    private static void assertFinite(INDArray a, String what) {
        for (double v : a.dup().data().asDouble()) {
            assertTrue(Double.isFinite(v), what + " has " + v);
        }
    }

    @Test
    void everyTermStaysFiniteOnRenormalisedRows() {
        Random rnd = new Random(11);
        for (int k : new int[] {1, 5}) {
            float[][] teacher = new float[8][];
            INDArray labels = labels(rnd, 8, k, MissingMass.RENORMALISE, teacher);
            INDArray z = Nd4j.randn(DataType.FLOAT, 8, C).muli(3);
            for (double t : new double[] {1, 4, 20}) {
                List<LossTerm> terms = List.of(new KdTerm(t), new DkdTerm(t, 1, 8), new CeTerm());
                for (LossTerm term : terms) {
                    assertFinite(term.scoreArray(labels, z), term.describe() + " score, k=" + k);
                    assertFinite(term.gradient(labels, z), term.describe() + " gradient, k=" + k);
                }
                DistillationLoss hinton = new DistillationLoss(t, 0.9, C);
                assertFinite(hinton.computeScoreArray(labels, z, new ActivationSoftmax(), null), "hinton score");
                assertFinite(hinton.computeGradient(labels, z, new ActivationSoftmax(), null), "hinton gradient");
                CompositeLoss composite = CompositeLoss.builder().add(0.5, "kd", Map.of("temperature", t))
                        .add(0.5, "dkd", Map.of("temperature", t)).build();
                assertFinite(composite.computeScoreArray(labels, z, new ActivationSoftmax(), null), "composite");
            }
        }
    }

    @Test
    void kdOnARenormalisedRowIsKlAgainstTheKeptProbabilitiesRenormalised() {
        Random rnd = new Random(12);
        float[][] teacher = new float[4][];
        INDArray labels = labels(rnd, 4, 3, MissingMass.RENORMALISE, teacher);
        INDArray z = Nd4j.randn(DataType.DOUBLE, 4, C);
        double t = 4;
        INDArray scores = new KdTerm(t).scoreArray(labels.castTo(DataType.DOUBLE), z);
        for (int r = 0; r < 4; r++) {
            // Independently: the teacher's kept probabilities at T, renormalised over the kept classes.
            double[] p = SoftmaxMath.softmax(teacher[r], t);
            double[] q = SoftmaxMath.softmax(z.getRow(r).toDoubleVector(), t);
            double[] pKept = new double[C];
            double sum = 0;
            double top = Double.NEGATIVE_INFINITY;
            for (float v : teacher[r]) {
                top = Math.max(top, v);
            }
            for (int c = 0; c < C; c++) {
                if (teacher[r][c] > top - 100) { // a kept class (the others sit 10^4 below)
                    pKept[c] = p[c];
                    sum += p[c];
                }
            }
            for (int c = 0; c < C; c++) {
                pKept[c] /= sum;
            }
            assertEquals(t * t * SoftmaxMath.klDivergence(pKept, q), scores.getDouble(r, 0), 1e-9);
        }
    }
}
