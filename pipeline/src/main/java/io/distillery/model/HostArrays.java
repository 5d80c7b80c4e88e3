package io.distillery.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Copies between 2-d ND4J arrays and Java arrays in one bulk copy each way.
 *
 * <p>ND4J's own {@code toDoubleMatrix()} and {@code toFloatMatrix()} run {@code getRow(i).dup()} per row: one
 * native op per row, which on a minibatch of 32 rows cost more than the loss math itself (the DKD term ran about 10x
 * slower per epoch than KD). Here the whole array is made contiguous once and split on the Java side.
 */
public final class HostArrays {
    private HostArrays() {
    }

    /** The rows of a matrix (any order, view or not) as doubles. */
    public static double[][] doubleRows(INDArray m) {
        int[] shape = matrixShape(m);
        double[] flat = contiguous(m, DataType.DOUBLE).data().asDouble();
        double[][] rows = new double[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) {
            System.arraycopy(flat, i * shape[1], rows[i], 0, shape[1]);
        }
        return rows;
    }

    /** The rows of a matrix (any order, view or not) as floats. */
    public static float[][] floatRows(INDArray m) {
        int[] shape = matrixShape(m);
        float[] flat = contiguous(m, DataType.FLOAT).data().asFloat();
        float[][] rows = new float[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) {
            System.arraycopy(flat, i * shape[1], rows[i], 0, shape[1]);
        }
        return rows;
    }

    /** A {@code [rows, width]} matrix of {@code type} from equally long rows. */
    public static INDArray fromRows(double[][] rows, DataType type) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        double[] flat = new double[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != width) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values, row 0 has "
                        + width);
            }
            System.arraycopy(rows[i], 0, flat, i * width, width);
        }
        return Nd4j.create(flat, new long[]{rows.length, width}, 'c').castTo(type);
    }

    /**
     * {@code m} as {@code type} in a buffer that holds exactly its values in row-major order: copied at most once
     * (a cast already makes a fresh array; a second {@code dup} only when that array is not row-major and whole).
     */
    private static INDArray contiguous(INDArray m, DataType type) {
        INDArray x = m.dataType() == type ? m : m.castTo(type);
        boolean whole = x.ordering() == 'c' && !x.isView() && x.offset() == 0 && x.data().length() == x.length();
        return whole ? x : x.dup('c');
    }

    private static int[] matrixShape(INDArray m) {
        if (m.rank() != 2) {
            throw new IllegalArgumentException("expected a matrix, got rank " + m.rank());
        }
        return new int[]{Math.toIntExact(m.size(0)), Math.toIntExact(m.size(1))};
    }
}
