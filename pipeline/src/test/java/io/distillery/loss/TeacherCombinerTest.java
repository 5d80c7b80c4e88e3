package io.distillery.loss;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every combiner on a hand-computed case: two teachers that mirror each other on two classes. */
class TeacherCombinerTest {
    private static final double EPS = 1e-6;
    private static final float LN3 = (float) Math.log(3);
    /** p1 = [1/4, 3/4] and p2 = [3/4, 1/4] at T = 1. */
    private static final float[][] MIRRORED = {{0f, LN3}, {LN3, 0f}};

    private static float[] combine(TeacherCombiner.Kind kind, double t, List<Double> w, int label) {
        float[] out = new float[3];
        TeacherCombiner.of(kind, t, w, 2).combine(MIRRORED, label, out, 1);
        assertEquals(0f, out[0], "wrote before its offset");
        return new float[]{out[1], out[2]};
    }

    private static void assertProbabilities(double[] expected, float[] logits, double t) {
        assertArrayEquals(expected, SoftmaxMath.softmax(logits, t), EPS);
    }

    @Test
    void meanOfProbabilitiesIsExactAtItsTemperature() {
        float[] out = combine(TeacherCombiner.Kind.MEAN_PROBABILITIES, 1.0, List.of(), 1);
        assertArrayEquals(new float[]{(float) Math.log(0.5), (float) Math.log(0.5)}, out, 1e-6f);
        // At T = 2: p1 = [1, sqrt 3] / (1 + sqrt 3), p2 mirrored; their mean is again [1/2, 1/2], logits 2 log 1/2.
        float[] hot = combine(TeacherCombiner.Kind.MEAN_PROBABILITIES, 2.0, List.of(), -1);
        assertArrayEquals(new float[]{(float) (2 * Math.log(0.5)), (float) (2 * Math.log(0.5))}, hot, 1e-6f);
        assertProbabilities(new double[]{0.5, 0.5}, hot, 2.0);
    }

    @Test
    void meanOfLogits() {
        assertArrayEquals(new float[]{LN3 / 2, LN3 / 2}, combine(TeacherCombiner.Kind.MEAN_LOGITS, 4.0, List.of(), 0),
                1e-6f);
    }

    @Test
    void fixedWeightsAreNormalised() {
        // w = [3/4, 1/4]: p = 3/4 [1/4, 3/4] + 1/4 [3/4, 1/4] = [3/8, 5/8].
        float[] out = combine(TeacherCombiner.Kind.WEIGHTED, 1.0, List.of(3.0, 1.0), -1);
        assertProbabilities(new double[]{0.375, 0.625}, out, 1.0);
        assertArrayEquals(new float[]{(float) Math.log(0.375), (float) Math.log(0.625)}, out, 1e-6f);
    }

    @Test
    void confidenceWeighsTheTeacherThatIsRightOnTheLabel() {
        // Label 1: CE = [-ln 3/4, -ln 1/4]; softmax(CE) = [4/3, 4] / (16/3) = [1/4, 3/4]; w = 1 - that = [3/4, 1/4].
        assertArrayEquals(new double[]{0.75, 0.25}, TeacherCombiner.confidenceWeights(MIRRORED, 1), EPS);
        assertProbabilities(new double[]{0.375, 0.625},
                combine(TeacherCombiner.Kind.CONFIDENCE, 1.0, List.of(), 1), 1.0);
        // Label 0: the other teacher is right.
        assertArrayEquals(new double[]{0.25, 0.75}, TeacherCombiner.confidenceWeights(MIRRORED, 0), EPS);
        // Unlabelled: the two predictions have the same entropy, so equal weights.
        assertArrayEquals(new double[]{0.5, 0.5}, TeacherCombiner.confidenceWeights(MIRRORED, -1), EPS);
    }

    @Test
    void confidenceByEntropyPrefersTheSurerTeacherAndWeightsSumToOne() {
        // Teacher 0 is sure of class 2, teacher 1 uniform, teacher 2 in between.
        float[][] three = {{0f, 0f, 5f}, {0f, 0f, 0f}, {0f, 0f, 1f}};
        double[] w = TeacherCombiner.confidenceWeights(three, -1);
        double h0 = entropy(three[0]);
        double h1 = entropy(three[1]);
        double h2 = entropy(three[2]);
        double z = Math.exp(h0) + Math.exp(h1) + Math.exp(h2);
        assertArrayEquals(new double[]{(1 - Math.exp(h0) / z) / 2, (1 - Math.exp(h1) / z) / 2,
                (1 - Math.exp(h2) / z) / 2}, w, EPS);
        assertEquals(1.0, w[0] + w[1] + w[2], EPS);
        assertEquals(true, w[0] > w[2] && w[2] > w[1], java.util.Arrays.toString(w));
    }

    /**
     * Why {@code per-teacher-loss} changes nothing for kd: {@code sum_k w_k T^2 KL(p_k || q)} and
     * {@code T^2 KL(mean-probabilities || q)} differ by a constant, so their gradients are equal (dkd differs:
     * {@code PerTeacherLossTest}).
     */
    @Test
    void sumOfKdLossesHasTheGradientOfKdOnTheMeanOfProbabilities() {
        double t = 3.0;
        double[][] z = {{0.3, -1.2, 2.0, 0.1}, {1.5, 0.2, -0.4, -2.0}};
        float[][][] teachers = {{{2f, 0f, -1f, 0.5f}, {-0.5f, 1f, 3f, 0f}}, {{0f, 0f, 1f, 1f}, {4f, -2f, 0f, 1f}}};
        double[] w = {0.25, 0.75};
        DistillationLoss kd = new DistillationLoss(t, 1.0, 4);
        INDArray student = Nd4j.create(z);
        INDArray summed = null;
        double[][] meanLogits = new double[2][];
        for (int row = 0; row < 2; row++) {
            float[] out = new float[4];
            TeacherCombiner.of(TeacherCombiner.Kind.WEIGHTED, t, List.of(w[0], w[1]), 2)
                    .combine(new float[][]{teachers[row][0], teachers[row][1]}, -1, out, 0);
            meanLogits[row] = new double[]{out[0], out[1], out[2], out[3]};
        }
        for (int k = 0; k < 2; k++) {
            double[][] tk = {toDouble(teachers[0][k]), toDouble(teachers[1][k])};
            INDArray g = kd.computeGradient(labels(tk), student.dup(),
                    new ActivationSoftmax(), null).mul(w[k]);
            summed = summed == null ? g : summed.add(g);
        }
        INDArray combined = kd.computeGradient(labels(meanLogits), student.dup(),
                new ActivationSoftmax(), null);
        for (int row = 0; row < 2; row++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(summed.getDouble(row, c), combined.getDouble(row, c), 1e-5, "row " + row + " class " + c);
            }
        }
    }

    /** Labels of unlabelled rows (all-zero one-hot, so only the soft term counts) with these teacher logits. */
    private static INDArray labels(double[][] teacher) {
        return DistillationLoss.packLabels(Nd4j.zeros(DataType.DOUBLE, teacher.length, 4), Nd4j.create(teacher));
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> TeacherCombiner.of(TeacherCombiner.Kind.WEIGHTED, 1, List.of(1.0), 2));
        assertThrows(IllegalArgumentException.class,
                () -> TeacherCombiner.of(TeacherCombiner.Kind.WEIGHTED, 1, List.of(0.0, 0.0), 2));
        assertThrows(IllegalArgumentException.class,
                () -> TeacherCombiner.of(TeacherCombiner.Kind.WEIGHTED, 1, List.of(-1.0, 2.0), 2));
        assertThrows(IllegalArgumentException.class,
                () -> TeacherCombiner.of(TeacherCombiner.Kind.MEAN_LOGITS, 1, List.of(), 1));
        assertThrows(IllegalArgumentException.class,
                () -> TeacherCombiner.of(TeacherCombiner.Kind.MEAN_LOGITS, 0, List.of(), 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TeacherCombiner.Kind.fromConfig("median"));
        assertEquals("'median' is not a teacher combiner; use one of [mean-probabilities, mean-logits, weighted, "
                + "confidence, per-teacher-loss].", e.getMessage());
        assertEquals(TeacherCombiner.Kind.MEAN_PROBABILITIES, TeacherCombiner.Kind.fromConfig("mean-probabilities"));
    }

    private static double entropy(float[] logits) {
        double h = 0;
        for (double p : SoftmaxMath.softmax(logits, 1.0)) {
            h -= p * Math.log(p);
        }
        return h;
    }
}
