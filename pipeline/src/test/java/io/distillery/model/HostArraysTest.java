package io.distillery.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostArraysTest {

    /** Views, 'f' order and float inputs give what ND4J's slow per-row copies give. */
    @Test
    void rowsMatchNd4jsOwnCopiesForViewsAndOrders() {
        INDArray base = Nd4j.rand(DataType.FLOAT, 7, 9);
        INDArray[] inputs = {
                base,
                base.dup('f'),
                base.get(NDArrayIndex.interval(2, 6), NDArrayIndex.interval(1, 8)),  // offset, strided view
                base.transpose(),
                base.castTo(DataType.DOUBLE),
        };
        for (INDArray m : inputs) {
            assertArrayEquals(m.toDoubleMatrix(), HostArrays.doubleRows(m));
            assertArrayEquals(m.toFloatMatrix(), HostArrays.floatRows(m));
        }
    }

    @Test
    void fromRowsRoundTrips() {
        double[][] rows = {{1, 2, 3}, {4, 5, 6}};
        INDArray m = HostArrays.fromRows(rows, DataType.FLOAT);
        assertEquals(DataType.FLOAT, m.dataType());
        assertArrayEquals(new long[]{2, 3}, m.shape());
        assertArrayEquals(rows, HostArrays.doubleRows(m));
        assertArrayEquals(new long[]{0, 0}, HostArrays.fromRows(new double[0][], DataType.DOUBLE).shape());
    }

    @Test
    void raggedRowsAndNonMatricesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> HostArrays.fromRows(new double[][]{{1, 2}, {3}},
                DataType.DOUBLE));
        assertThrows(IllegalArgumentException.class, () -> HostArrays.doubleRows(Nd4j.zeros(2, 3, 4)));
    }
}
