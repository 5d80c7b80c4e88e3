package io.distillery.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * The rows of one data partition packed for training: row-major features and labels in two float arrays.
 * One block per partition is built once from the Parquet rows and cached on its executor; every round gathers its
 * minibatches from it in the epoch's shuffled order, so no row is decoded from Parquet twice.
 * <p>
 * Labels are whatever the loss expects: one-hot classes, or one-hot classes followed by teacher logits.
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
        int n = to - from;
        float[] out = new float[n * width];
        for (int i = 0; i < n; i++) {
            int row = order == null ? from + i : order[from + i];
            System.arraycopy(source, row * width, out, i * width, width);
        }
        return Nd4j.create(out, new long[]{n, width}, 'c');
    }
}
