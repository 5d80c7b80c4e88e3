package io.distillery.loss;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loss per teacher of multi-teacher {@code per-teacher-loss}: a {@link CompositeLoss} on labels
 * {@code [y | t_1 | ... | t_K]} is the mean over the teachers of the same loss on {@code [y | t_k]} (ce once), its
 * gradient for kd is that of kd on the teachers' mean probabilities, and for dkd it is not.
 */
class PerTeacherLossTest {
    private static final int N = 6;
    private static final int C = 5;
    private static final ActivationSoftmax SOFTMAX = new ActivationSoftmax();

    private final Random rnd = new Random(2026);
    private final double[][] y = LossTestData.oneHot(rnd, N, C, 0);
    private final double[][] t1 = LossTestData.logits(rnd, N, C, 3.0);
    private final double[][] t2 = LossTestData.logits(rnd, N, C, 3.0);
    private final double[][] z = LossTestData.logits(rnd, N, C, 2.0);

    private INDArray perTeacherLabels() {
        return Nd4j.hstack(Nd4j.create(y), Nd4j.create(t1), Nd4j.create(t2));
    }

    @Test
    void scoreIsTheMeanOverTeachersWithCeTakenOnce() {
        CompositeLoss loss = CompositeLoss.builder().add(0.8, new KdTerm(4)).add(0.2, new CeTerm())
                .add(0.5, "dkd", Map.of("temperature", 2, "beta", 3)).build();
        INDArray both = loss.computeScoreArray(perTeacherLabels(), Nd4j.create(z), SOFTMAX, null);
        INDArray one = loss.computeScoreArray(LossTestData.labels(y, t1), Nd4j.create(z), SOFTMAX, null);
        INDArray two = loss.computeScoreArray(LossTestData.labels(y, t2), Nd4j.create(z), SOFTMAX, null);
        assertArrayEquals(one.add(two).div(2).toDoubleVector(), both.toDoubleVector(), 1e-12);
        // The ce term alone does not depend on the teachers: taken once, not averaged into a fraction of itself.
        CompositeLoss ce = CompositeLoss.builder().add(1.0, new CeTerm()).build();
        assertArrayEquals(ce.computeScoreArray(LossTestData.labels(y, t1), Nd4j.create(z), SOFTMAX, null)
                        .toDoubleVector(),
                ce.computeScoreArray(perTeacherLabels(), Nd4j.create(z), SOFTMAX, null).toDoubleVector(), 1e-12);
    }

    @Test
    void kdPerTeacherHasTheGradientOfKdOnTheMeanOfProbabilities() {
        double t = 4.0;
        CompositeLoss kd = CompositeLoss.builder().add(1.0, new KdTerm(t)).build();
        INDArray perTeacher = kd.computeGradient(perTeacherLabels(), Nd4j.create(z), SOFTMAX, null);
        INDArray onMean = kd.computeGradient(LossTestData.labels(y, meanProbabilities(t)), Nd4j.create(z), SOFTMAX,
                null);
        assertArrayEquals(onMean.data().asDouble(), perTeacher.data().asDouble(), 1e-5);
    }

    @Test
    void dkdPerTeacherIsAnotherObjectiveThanDkdOnTheMeanOfProbabilities() {
        double t = 4.0;
        CompositeLoss dkd = CompositeLoss.builder().add(1.0, "dkd", Map.of("temperature", t, "beta", 8)).build();
        INDArray perTeacher = dkd.computeGradient(perTeacherLabels(), Nd4j.create(z), SOFTMAX, null);
        INDArray onMean = dkd.computeGradient(LossTestData.labels(y, meanProbabilities(t)), Nd4j.create(z), SOFTMAX,
                null);
        double diff = perTeacher.sub(onMean).norm2Number().doubleValue();
        assertTrue(diff > 1e-2 * onMean.norm2Number().doubleValue(), "gradients differ by only " + diff);
    }

    @Test
    void theCombinerWritesTheTeachersSideBySide() {
        TeacherCombiner c = TeacherCombiner.of(TeacherCombiner.Kind.PER_TEACHER_LOSS, 4.0, List.of(), 2);
        assertEquals(2 * C, c.width(C));
        float[] out = new float[1 + 2 * C];
        float[] a = {1, 2, 3, 4, 5};
        float[] b = {-1, -2, -3, -4, -5};
        c.combine(new float[][]{a, b}, 3, out, 1);
        assertArrayEquals(new float[]{0, 1, 2, 3, 4, 5, -1, -2, -3, -4, -5}, out);
    }

    @Test
    void labelsOfAnotherWidthAreRefused() {
        CompositeLoss kd = CompositeLoss.builder().add(1.0, new KdTerm(2)).build();
        INDArray odd = Nd4j.hstack(perTeacherLabels(), Nd4j.zeros(N, 1).castTo(perTeacherLabels().dataType()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kd.computeScoreArray(odd, Nd4j.create(z), SOFTMAX, null));
        assertTrue(e.getMessage().contains("(1 + K) * " + C), e.getMessage());
    }

    /** The mean of the two teachers' probabilities at T, as logits {@code T log p} (softmax at T gives p). */
    private double[][] meanProbabilities(double t) {
        float[] out = new float[C];
        double[][] logits = new double[N][C];
        TeacherCombiner mean = TeacherCombiner.of(TeacherCombiner.Kind.MEAN_PROBABILITIES, t, List.of(), 2);
        for (int i = 0; i < N; i++) {
            mean.combine(new float[][]{toFloat(t1[i]), toFloat(t2[i])}, -1, out, 0);
            for (int c = 0; c < C; c++) {
                logits[i][c] = out[c];
            }
        }
        return logits;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
