package io.distillery.loss;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SoftmaxMathTest {

    @Test
    void softmaxOfSimpleLogits() {
        // softmax([0, ln 3]) = [1/4, 3/4]; at T = 2 the logits halve: [1, sqrt 3] / (1 + sqrt 3).
        float ln3 = (float) Math.log(3);
        assertArrayEquals(new double[] {0.25, 0.75}, SoftmaxMath.softmax(new float[] {0, ln3}, 1), 1e-7);
        double s3 = Math.sqrt(3);
        assertArrayEquals(new double[] {1 / (1 + s3), s3 / (1 + s3)},
                SoftmaxMath.softmax(new double[] {0, Math.log(3)}, 2), 1e-15);
        assertArrayEquals(new double[] {Math.log(0.25), Math.log(0.75)},
                SoftmaxMath.logSoftmax(new double[] {0, Math.log(3)}, 1), 1e-15);
    }

    @Test
    void extremeLogitsAreFinite() {
        double[] log = SoftmaxMath.logSoftmax(new float[] {1e4f, -1e4f, 0}, 1);
        assertArrayEquals(new double[] {0, -2e4, -1e4}, log, 1e-9);
        double[] p = SoftmaxMath.softmax(new float[] {1e4f, -1e4f, 0}, 1);
        assertArrayEquals(new double[] {1, 0, 0}, p, 0);
        double[] input = {5, 1};
        SoftmaxMath.softmax(input, 2);
        assertArrayEquals(new double[] {5, 1}, input, 0); // input not modified
    }

    @Test
    void klDivergenceHandlesZeros() {
        double[] p = {0.5, 0.5, 0};
        double[] q = {0.25, 0.25, 0.5};
        // 0.5 ln 2 + 0.5 ln 2 + 0 * ln(0 / 0.5) = ln 2
        assertEquals(Math.log(2), SoftmaxMath.klDivergence(p, q), 1e-15);
        assertEquals(0.0, SoftmaxMath.klDivergence(p, p), 0);
        assertEquals(Double.POSITIVE_INFINITY, SoftmaxMath.klDivergence(q, p));
        // Clamped: 0.5 ln(0.5 / 1e-12) + 2 * 0.25 ln(0.25 / 0.5)
        assertEquals(0.5 * Math.log(0.5 / 1e-12) + 0.5 * Math.log(0.5), SoftmaxMath.klDivergence(q, p, 1e-12),
                1e-12);
        assertThrows(IllegalArgumentException.class, () -> SoftmaxMath.klDivergence(p, new double[2]));
        assertTrue(SoftmaxMath.klDivergence(q, new double[] {0.3, 0.3, 0.4}) > 0);
    }

    @Test
    void argmaxPrefersTheFirstOfTies() {
        assertEquals(1, SoftmaxMath.argmax(new double[] {0.2, 0.4, 0.4}));
        assertEquals(0, SoftmaxMath.argmax(new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> SoftmaxMath.softmax(new double[] {1, 2}, 0));
    }
}
