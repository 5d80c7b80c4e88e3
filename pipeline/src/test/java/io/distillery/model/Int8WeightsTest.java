package io.distillery.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Int8Weights}: per-channel scales, rounding and clamping on hand-computed cases. */
class Int8WeightsTest {

    @Test
    void denseWeightsAreQuantisedPerOutputUnit() {
        // W [nIn = 2, nOut = 3]: unit 0 has the column (1.27, -0.5), unit 1 (0.3, 2.54), unit 2 is all zero.
        INDArray w = Nd4j.create(new float[]{1.27f, 0.3f, 0f, -0.5f, 2.54f, 0f}, new long[]{2, 3}, 'c');
        Int8Weights q = Int8Weights.quantize(w, 1);
        // Scales max|column| / 127: 0.01, 0.02, and 1 for the zero column.
        assertArrayEquals(new float[]{1.27f / 127, 2.54f / 127, 1f}, q.scales(), 0f);
        // 1.27 / 0.01 = 127, 0.3 / 0.02 = 15, -0.5 / 0.01 = -50, 2.54 / 0.02 = 127.
        assertArrayEquals(new byte[]{127, 15, 0, -50, 127, 0}, q.values());
        // Dequantized: q * scale, computed in float as ONNX's DequantizeLinear does.
        assertArrayEquals(new float[]{127 * (1.27f / 127), 15 * (2.54f / 127), 0f, -50 * (1.27f / 127),
                127 * (2.54f / 127), 0f}, q.dequantized().ravel().toFloatVector(), 0f);
        assertArrayEquals(new long[]{2, 3}, q.dequantized().shape());
    }

    @Test
    void convolutionWeightsAreQuantisedPerFilterAndRoundToNearest() {
        // W [nOut = 2, nIn = 1, kH = 1, kW = 3]: filter 0 (1.27, 0.0137, -0.0262), filter 1 (-0.127, 0.05, 0.0).
        INDArray w = Nd4j.create(new float[]{1.27f, 0.0137f, -0.0262f, -0.127f, 0.05f, 0f}, new long[]{2, 1, 1, 3},
                'c');
        Int8Weights q = Int8Weights.quantize(w, 0);
        assertArrayEquals(new float[]{0.01f, 0.001f}, q.scales(), 1e-9f);
        // 0.0137 / 0.01 = 1.37 -> 1; -0.0262 / 0.01 = -2.62 -> -3; -0.127 / 0.001 = -127; 0.05 / 0.001 = 50.
        assertArrayEquals(new byte[]{127, 1, -3, -127, 50, 0}, q.values());
    }

    @Test
    void everyValueIsWithinHalfAStepAndNoneBeyondTheRange() {
        Nd4j.getRandom().setSeed(5);
        INDArray w = Nd4j.randn(DataType.FLOAT, 40, 30);
        Int8Weights q = Int8Weights.quantize(w, 1);
        INDArray back = q.dequantized();
        for (int unit = 0; unit < 30; unit++) {
            float step = q.scales()[unit];
            INDArray error = back.getColumn(unit).sub(w.getColumn(unit));
            assertEquals(0, Math.max(0, error.amaxNumber().doubleValue() - step / 2 - 1e-6), 0.0,
                    "unit " + unit + " off by more than half a step " + step);
        }
        for (byte v : q.values()) {
            assertEquals(true, v >= -127 && v <= 127, "value " + v);
        }
    }
}
