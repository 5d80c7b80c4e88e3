package io.distillery.train;

import io.distillery.config.Precision;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.TeacherTargets;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.List;

/**
 * How a row becomes the label vector its loss expects. {@link #oneHot} is the plain classification target;
 * {@link #distillation} appends the teacher's logits and hides the label of rows outside the labelled subset
 * (an all-zero one-hot, which the distillation loss treats as unlabelled); {@link #withTaps} appends the teacher's
 * tapped activations, one range per store column. {@link #layout()} names the ranges.
 */
public interface RowLabels extends Serializable {

    /** The named ranges of the label vector this writes. */
    LabelLayout layout();

    /** Width of the label vector. */
    default int width() {
        return layout().width();
    }

    /** Writes the label vector of {@code row} into {@code target} at {@code offset}. */
    void write(Row row, float[] target, int offset);

    /** The one-hot class of column {@code label}. */
    static RowLabels oneHot(int numClasses) {
        return partlyLabelled(numClasses, 1.0, 0);
    }

    /**
     * The one-hot class, or zeros for a row outside the labelled subset: the labels of a model that learns from
     * its peers rather than from a stored teacher (co-distillation, mutual learning).
     *
     * @param labelledFraction fraction of rows whose label is kept, chosen by {@link LabelledSubset}
     */
    static RowLabels partlyLabelled(int numClasses, double labelledFraction, long seed) {
        LabelLayout layout = LabelLayout.builder().add(LabelLayout.ONE_HOT, numClasses).build();
        return new RowLabels() {
            @Override
            public LabelLayout layout() {
                return layout;
            }

            @Override
            public void write(Row row, float[] target, int offset) {
                // Every row labelled: the id is not read (held-out rows need no id column).
                if (labelledFraction >= 1.0
                        || LabelledSubset.isLabelled(row.getLong(row.fieldIndex(SoftTargetSchema.ID)), seed,
                        labelledFraction)) {
                    target[offset + row.getInt(row.fieldIndex(SoftTargetSchema.LABEL))] = 1f;
                }
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
        return distillation(numClasses, labelledFraction, seed, teacher, 1);
    }

    /**
     * {@code [one-hot label (or zeros when hidden) | the logits of K teachers side by side]} from a dense
     * {@code teacher_logits} column K C wide: the labels of a loss per teacher (multi-teacher
     * {@code per-teacher-loss}). K = 1 is {@link #distillation(int, double, long, TeacherTargets)}.
     */
    static RowLabels distillation(int numClasses, double labelledFraction, long seed, TeacherTargets teacher,
                                  int teachers) {
        if (teachers > 1 && teacher.layout().isTopK()) {
            throw new IllegalArgumentException("the logits of " + teachers + " teachers come from a dense column");
        }
        RowLabels hard = partlyLabelled(numClasses, labelledFraction, seed);
        int width = teachers * numClasses;
        LabelLayout layout = hard.layout().extend().add(LabelLayout.TEACHER, width).build();
        return new RowLabels() {
            @Override
            public LabelLayout layout() {
                return layout;
            }

            @Override
            public void write(Row row, float[] target, int offset) {
                hard.write(row, target, offset);
                teacher.write(row, width, target, offset + numClasses);
            }
        };
    }

    /**
     * {@code base}'s label vector followed by the teacher's tapped activations ({@code tap_<layer>} columns of the
     * store), for a training graph whose auxiliary heads are labelled with them.
     *
     * @param tapColumns store columns, in order
     * @param tapWidths  their widths (a row of another width fails, naming the column)
     */
    public static RowLabels withTaps(RowLabels base, List<String> tapColumns, int[] tapWidths) {
        return withTaps(base, tapColumns, tapWidths, Precision.FLOAT32);
    }

    /**
     * As {@link #withTaps(RowLabels, List, int[])}, for tap columns stored at {@code precision} (float16 bits are
     * decoded to float; {@code StoreLayout.featurePrecision()} of the store).
     */
    public static RowLabels withTaps(RowLabels base, List<String> tapColumns, int[] tapWidths, Precision precision) {
        LabelLayout.Builder b = base.layout().extend();
        for (int t = 0; t < tapColumns.size(); t++) {
            b.add(tapColumns.get(t), tapWidths[t]);
        }
        LabelLayout layout = b.build();
        List<String> columns = List.copyOf(tapColumns);
        int[] widths = tapWidths.clone();
        return new RowLabels() {
            @Override
            public LabelLayout layout() {
                return layout;
            }

            @Override
            public void write(Row row, float[] target, int offset) {
                base.write(row, target, offset);
                int at = offset + base.width();
                for (int t = 0; t < columns.size(); t++) {
                    float[] values = TeacherTargets.floats(row, columns.get(t), precision);
                    if (values.length != widths[t]) {
                        throw new IllegalStateException("Column " + columns.get(t) + " of the soft-target store has "
                                + values.length + " values in a row; the teacher layer has " + widths[t] + ".");
                    }
                    System.arraycopy(values, 0, target, at, widths[t]);
                    at += widths[t];
                }
            }
        };
    }
}
