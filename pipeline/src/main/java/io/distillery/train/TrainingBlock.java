package io.distillery.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * Rows packed for training: row-major features and labels in two float arrays. A worker's rows are split into
 * blocks of bounded size ({@link TrainingBlocks}), each built once from the Parquet rows and cached on an executor;
 * a round gathers its minibatches from one of them in the epoch's shuffled order, so no row is decoded from Parquet
 * twice.
 * <p>
 * Labels are whatever the loss expects: one-hot classes, or one-hot classes followed by teacher logits, followed
 * for a training graph by the teacher's tapped activations ({@link RowLabels#withTaps}).
 */
public final class TrainingBlock implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int rows;
    private final int inputWidth;
    private final int labelWidth;
    private final float[] features;
    private final float[] labels;

    public TrainingBlock(int rows, int inputWidth, int labelWidth, float[] features, float[] labels) {
        if (features.length != (long) rows * inputWidth || labels.length != (long) rows * labelWidth) {
            throw new IllegalArgumentException("Block arrays do not match " + rows + " rows of widths "
                    + inputWidth + " and " + labelWidth);
        }
        this.rows = rows;
        this.inputWidth = inputWidth;
        this.labelWidth = labelWidth;
        this.features = features;
        this.labels = labels;
    }

    public int rows() {
        return rows;
    }

    public int inputWidth() {
        return inputWidth;
    }

    public int labelWidth() {
        return labelWidth;
    }

    /** Number of minibatches of {@code batchSize} rows (the last may be smaller). */
    public int batchCount(int batchSize) {
        return (rows + batchSize - 1) / batchSize;
    }

    /** Minibatch {@code batch} of the order {@code order} (a permutation of the rows). */
    public DataSet minibatch(int[] order, int batch, int batchSize) {
        int from = batch * batchSize;
        int to = Math.min(rows, from + batchSize);
        return new DataSet(gather(features, inputWidth, order, from, to), gather(labels, labelWidth, order, from, to));
    }

    /**
     * Minibatch {@code batch} for a network with several outputs: one label array per output, each a range of the
     * label columns.
     *
     * @param segments (offset, width) of each output's label columns, in output order
     */
    public MultiDataSet multiMinibatch(int[] order, int batch, int batchSize, int[] segments) {
        int from = batch * batchSize;
        int to = Math.min(rows, from + batchSize);
        INDArray[] labelArrays = new INDArray[segments.length / 2];
        for (int k = 0; k < labelArrays.length; k++) {
            labelArrays[k] = gather(labels, labelWidth, segments[2 * k], segments[2 * k + 1], order, from, to);
        }
        return new MultiDataSet(new INDArray[]{gather(features, inputWidth, order, from, to)}, labelArrays);
    }

    /** Rows {@code [from, to)} in storage order, for inference. */
    public INDArray features(int from, int to) {
        return gather(features, inputWidth, null, from, to);
    }

    /** A copy of the label vector of row {@code row} (storage order). */
    public float[] labelRow(int row) {
        float[] out = new float[labelWidth];
        System.arraycopy(labels, row * labelWidth, out, 0, labelWidth);
        return out;
    }

    private static INDArray gather(float[] source, int width, int[] order, int from, int to) {
        return gather(source, width, 0, width, order, from, to);
    }

    /** Columns {@code [offset, offset + columns)} of rows {@code order[from..to)} of a row-major array. */
    private static INDArray gather(float[] source, int width, int offset, int columns, int[] order, int from,
                                   int to) {
        int n = to - from;
        float[] out = new float[n * columns];
        for (int i = 0; i < n; i++) {
            int row = order == null ? from + i : order[from + i];
            System.arraycopy(source, row * width + offset, out, i * columns, columns);
        }
        return Nd4j.create(out, new long[]{n, columns}, 'c');
    }
}
