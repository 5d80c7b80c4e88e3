package io.distillery.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A weight tensor quantised to int8, symmetrically and per output channel: for channel c,
 * {@code scale[c] = max|w[c]| / 127} and {@code q = clamp(round(w / scale[c]), -127, 127)}, so that
 * {@code q * scale[c]} is the value the network computes with. The zero point is 0 (symmetric), the range
 * [-127, 127] (not -128, so that negation is exact), and rounding is to the nearest integer with halves to even
 * ({@link Math#rint}, as ONNX's QuantizeLinear rounds). The ONNX export stores exactly these integers, so it
 * reproduces the fake-quantised network bit for bit in its weights.
 * <p>
 * The output channel is the axis a layer's units run along: axis 1 of a dense layer's {@code W [nIn, nOut]}, axis 0
 * of a convolution's {@code W [nOut, nIn, kH, kW]}. One scale per unit keeps a unit with small weights from being
 * quantised on the scale of the largest one.
 *
 * @param shape  the tensor's shape
 * @param axis   the output-channel axis
 * @param values the int8 values in C (row-major) order
 * @param scales one scale per output channel
 */
public record Int8Weights(long[] shape, int axis, byte[] values, float[] scales) {

    /** Largest magnitude of a quantised value. */
    public static final int LEVELS = 127;

    /** Quantises {@code w} along output-channel axis {@code axis}. */
    public static Int8Weights quantize(INDArray w, int axis) {
        long[] shape = w.shape();
        float[] flat = Nd4j.toFlattened('c', w.castTo(DataType.FLOAT)).toFloatVector();
        int channels = (int) shape[axis];
        int inner = innerSize(shape, axis);
        float[] max = new float[channels];
        for (int i = 0; i < flat.length; i++) {
            int c = (i / inner) % channels;
            max[c] = Math.max(max[c], Math.abs(flat[i]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            // An all-zero channel quantises to zeros at any scale; 1 keeps the scale finite and positive.
            scales[c] = max[c] > 0 ? max[c] / LEVELS : 1f;
        }
        byte[] values = new byte[flat.length];
        for (int i = 0; i < flat.length; i++) {
            double q = Math.rint(flat[i] / scales[(i / inner) % channels]);
            values[i] = (byte) Math.max(-LEVELS, Math.min(LEVELS, (int) q));
        }
        return new Int8Weights(shape.clone(), axis, values, scales);
    }

    /** {@code w} replaced by its quantised values {@code q * scale}, in float32 and {@code w}'s shape. */
    public static INDArray fakeQuantize(INDArray w, int axis) {
        return quantize(w, axis).dequantized();
    }

    /** The values the network computes with: {@code q * scale[c]} as float32, in this tensor's shape. */
    public INDArray dequantized() {
        int channels = scales.length;
        int inner = innerSize(shape, axis);
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i] * scales[(i / inner) % channels];
        }
        return Nd4j.create(out, shape, 'c');
    }

    /** Number of elements after the channel axis, in C order: the stride of one step along it. */
    private static int innerSize(long[] shape, int axis) {
        long inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return (int) inner;
    }
}
