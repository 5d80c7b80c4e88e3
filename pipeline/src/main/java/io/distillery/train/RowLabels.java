package io.distillery.train;

import io.distillery.store.SoftTargetSchema;
import io.distillery.store.TeacherTargets;
import org.apache.spark.sql.Row;

import java.io.Serializable;

/**
 * How a row becomes the label vector its loss expects. {@link #oneHot} is the plain classification target;
 * {@link #distillation} appends the teacher's logits and hides the label of rows outside the labelled subset
 * (an all-zero one-hot, which the distillation loss treats as unlabelled).
 */
public interface RowLabels extends Serializable {

    /** Width of the label vector. */
    int width();

    /** Writes the label vector of {@code row} into {@code target} at {@code offset}. */
    void write(Row row, float[] target, int offset);

    /** The one-hot class of column {@code label}. */
    static RowLabels oneHot(int numClasses) {
        return new RowLabels() {
            @Override
            public int width() {
                return numClasses;
            }

            @Override
            public void write(Row row, float[] target, int offset) {
                target[offset + row.getInt(row.fieldIndex(SoftTargetSchema.LABEL))] = 1f;
            }
        };
    }

    /**
     * {@code [one-hot label (or zeros when hidden) | teacher logits]} from a dense store's {@code teacher_logits}.
     *
     * @param labelledFraction fraction of rows whose label is kept, chosen by {@link LabelledSubset}
     */
    static RowLabels distillation(int numClasses, double labelledFraction, long seed) {
        return distillation(numClasses, labelledFraction, seed, TeacherTargets.dense());
    }

    /**
     * {@code [one-hot label (or zeros when hidden) | teacher logits]}, the teacher logits read by {@code teacher}
     * (dense, or rebuilt from a top-k store), so every loss works unchanged from either kind of store.
     *
     * @param labelledFraction fraction of rows whose label is kept, chosen by {@link LabelledSubset}
     */
    static RowLabels distillation(int numClasses, double labelledFraction, long seed, TeacherTargets teacher) {
        return new RowLabels() {
            @Override
            public int width() {
                return 2 * numClasses;
            }

            @Override
            public void write(Row row, float[] target, int offset) {
                long id = row.getLong(row.fieldIndex(SoftTargetSchema.ID));
                if (LabelledSubset.isLabelled(id, seed, labelledFraction)) {
                    target[offset + row.getInt(row.fieldIndex(SoftTargetSchema.LABEL))] = 1f;
                }
                teacher.write(row, numClasses, target, offset + numClasses);
            }
        };
    }
}
