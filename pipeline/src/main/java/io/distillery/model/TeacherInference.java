package io.distillery.model;

import io.distillery.config.Precision;
import io.distillery.store.Half;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.StoreLayout;
import io.distillery.store.TopKLogits;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The soft-target stage's executor side: streams a partition's rows through the broadcast teacher in batches
 * (inference mode, dropout off; run by DL4J or ONNX Runtime, {@link TeacherRuntime}) and emits store rows (id, label,
 * features, teacher logits, taps, partition columns) in the {@link StoreLayout} asked for: dense logits, or the top-k
 * classes ({@link TopKLogits#select}) as {@code teacher_topk_index}, {@code teacher_topk_logprob} (float32 or float16
 * bits), {@code teacher_topk_logrest} and {@code teacher_logsumexp}; taps as float32 or float16 bits. Rows are consumed
 * and produced one batch at a time, so a partition is never held in memory whole.
 */
public final class TeacherInference implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final TeacherRuntime.Source teacher;
    private final List<String> taps;
    private final int batchSize;
    private final int inputWidth;
    private final List<String> partitionColumns;
    private final StoreLayout layout;
    private final String storedFeatures;

    /** A dense float32 store. */
    public TeacherInference(Broadcast<byte[]> teacherZip, String teacherHash, List<String> taps, int batchSize,
                            int inputWidth, List<String> partitionColumns) {
        this(teacherZip, teacherHash, taps, batchSize, inputWidth, partitionColumns, StoreLayout.dense());
    }

    /** A store of the given layout; the rows match {@code SoftTargetSchema.storeSchema(taps, ..., layout)}. */
    public TeacherInference(Broadcast<byte[]> teacherZip, String teacherHash, List<String> taps, int batchSize,
                            int inputWidth, List<String> partitionColumns, StoreLayout layout) {
        this(teacherZip, teacherHash, taps, batchSize, inputWidth, partitionColumns, layout,
                SoftTargetSchema.FEATURES);
    }

    /**
     * A store of the given layout whose {@code features} column is the input column {@code storedFeatures}: the
     * teacher always reads {@code features}; a cross-modal store carries the student's view
     * ({@code student_features}) instead, so the student trains from the store as from any other.
     */
    public TeacherInference(Broadcast<byte[]> teacherZip, String teacherHash, List<String> taps, int batchSize,
                            int inputWidth, List<String> partitionColumns, StoreLayout layout,
                            String storedFeatures) {
        this(new Dl4jTeacherRuntime.Source(teacherZip, teacherHash, taps, inputWidth), taps, batchSize, inputWidth,
                partitionColumns, layout, storedFeatures);
    }

    /**
     * Rows from any engine's teacher ({@link TeacherRuntime.Source}: DL4J or ONNX Runtime).
     *
     * @param taps the tap names, in the order {@code teacher} returns them (the store's {@code tap_*} columns)
     */
    public TeacherInference(TeacherRuntime.Source teacher, List<String> taps, int batchSize, int inputWidth,
                            List<String> partitionColumns, StoreLayout layout, String storedFeatures) {
        this.storedFeatures = storedFeatures;
        this.layout = layout;
        this.teacher = teacher;
        this.taps = List.copyOf(taps);
        this.batchSize = batchSize;
        this.inputWidth = inputWidth;
        this.partitionColumns = List.copyOf(partitionColumns);
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        TeacherRuntime runtime = teacher.open();
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next < out.size()) {
                    return true;
                }
                out.clear();
                next = 0;
                if (!input.hasNext()) {
                    return false;
                }
                forwardNextBatch(input, runtime, out);
                return !out.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out.get(next++);
            }
        };
    }

    private void forwardNextBatch(Iterator<Row> input, TeacherRuntime runtime, List<Row> out) {
        List<Row> batch = new ArrayList<>(batchSize);
        while (input.hasNext() && batch.size() < batchSize) {
            batch.add(input.next());
        }
        float[] x = new float[batch.size() * inputWidth];
        for (int r = 0; r < batch.size(); r++) {
            List<Float> f = batch.get(r).getList(batch.get(r).fieldIndex(SoftTargetSchema.FEATURES));
            for (int i = 0; i < inputWidth; i++) {
                x[r * inputWidth + i] = f.get(i);
            }
        }
        TeacherRuntime.Outputs result = runtime.forward(x, batch.size());
        float[][] logits = result.logits();
        float[][][] tapValues = result.taps();
        int teacherColumns = layout.isTopK() ? 4 : 1;
        boolean halfTaps = layout.featurePrecision() == Precision.FLOAT16;
        for (int r = 0; r < batch.size(); r++) {
            Row row = batch.get(r);
            Object[] values = new Object[3 + teacherColumns + taps.size() + partitionColumns.size()];
            values[0] = row.getLong(row.fieldIndex(SoftTargetSchema.ID));
            values[1] = row.getInt(row.fieldIndex(SoftTargetSchema.LABEL));
            values[2] = row.get(row.fieldIndex(storedFeatures));
            if (layout.isTopK()) {
                TopKLogits.Kept kept = TopKLogits.select(logits[r], layout.topK());
                float[] lp = new float[kept.logProbs().length];
                for (int i = 0; i < lp.length; i++) {
                    lp[i] = (float) kept.logProbs()[i];
                }
                values[3] = kept.indices();
                values[4] = layout.logitPrecision() == Precision.FLOAT16 ? Half.toHalf(lp) : lp;
                values[5] = (float) kept.logRest();
                values[6] = (float) kept.logSumExp();
            } else {
                values[3] = logits[r];
            }
            int at = 3 + teacherColumns;
            for (int t = 0; t < taps.size(); t++) {
                values[at + t] = halfTaps ? Half.toHalf(tapValues[t][r]) : tapValues[t][r];
            }
            for (int p = 0; p < partitionColumns.size(); p++) {
                values[at + taps.size() + p] = row.get(row.fieldIndex(partitionColumns.get(p)));
            }
            out.add(RowFactory.create(values));
        }
    }
}
