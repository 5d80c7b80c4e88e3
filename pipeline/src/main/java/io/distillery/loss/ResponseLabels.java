package io.distillery.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;

/**
 * Splits and checks the {@code [one-hot y | teacher logits t]} labels that response-based terms receive, and the
 * {@code [y | t_1 | ... | t_K]} labels of a loss per teacher ({@link CompositeLoss}). Package-private: the layout is
 * documented on {@link LossTerm}; this only keeps the slicing in one place.
 */
final class ResponseLabels {

    private ResponseLabels() {
    }

    /**
     * @throws IllegalArgumentException unless z is [n, C] with C &gt;= 1 and labels are [n, 2C]
     */
    static void check(INDArray labels, INDArray z) {
        if (z.rank() != 2 || z.size(1) < 1) {
            throw new IllegalArgumentException("student logits must be [n, C], got " + Arrays.toString(z.shape()));
        }
        long n = z.size(0);
        long c = z.size(1);
        if (labels.rank() != 2 || labels.size(0) != n || labels.size(1) != 2 * c) {
            throw new IllegalArgumentException("labels must be [" + n + ", " + (2 * c)
                    + "] (one-hot | teacher logits) for student logits [" + n + ", " + c + "], got "
                    + Arrays.toString(labels.shape()));
        }
    }

    /**
     * K, the number of teachers whose logits follow y in labels [n, (1 + K) C].
     *
     * @throws IllegalArgumentException unless z is [n, C] with C &gt;= 1 and labels are [n, (1 + K) C], K &gt;= 1
     */
    static int teachers(INDArray labels, INDArray z) {
        if (z.rank() != 2 || z.size(1) < 1) {
            throw new IllegalArgumentException("student logits must be [n, C], got " + Arrays.toString(z.shape()));
        }
        long n = z.size(0);
        long c = z.size(1);
        if (labels.rank() != 2 || labels.size(0) != n || labels.size(1) < 2 * c || labels.size(1) % c != 0) {
            throw new IllegalArgumentException("labels must be [" + n + ", (1 + K) * " + c
                    + "] (one-hot | K teachers' logits) for student logits [" + n + ", " + c + "], got "
                    + Arrays.toString(labels.shape()));
        }
        return (int) (labels.size(1) / c) - 1;
    }

    /** {@code [y | t_k]}, [n, 2C], of labels [n, (1 + K) C] (k from 0): what one teacher's term reads. */
    static INDArray forTeacher(INDArray labels, INDArray z, int k) {
        long c = z.size(1);
        return Nd4j.hstack(labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)),
                labels.get(NDArrayIndex.all(), NDArrayIndex.interval((1 + k) * c, (2 + k) * c)));
    }

    /** The one-hot part y, [n, C], in the data type of z (a view when the types already agree). */
    static INDArray hard(INDArray labels, INDArray z) {
        check(labels, z);
        return labels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, z.size(1))).castTo(z.dataType());
    }

    /** The teacher logits t, [n, C], in the data type of z (a view when the types already agree). */
    static INDArray teacher(INDArray labels, INDArray z) {
        check(labels, z);
        long c = z.size(1);
        return labels.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c)).castTo(z.dataType());
    }

    /**
     * Formats a parameter or weight for {@code formula()}: at most 12 significant digits without trailing zeros
     * ("4", "0.1"), so that a weight computed as {@code 1 - 0.9} reads "0.1" rather than "0.09999999999999998".
     * For display only; the exact values are kept in the specs.
     */
    static String number(double x) {
        if (!Double.isFinite(x)) {
            return Double.toString(x);
        }
        return new BigDecimal(x).round(new MathContext(12)).stripTrailingZeros().toPlainString();
    }
}
