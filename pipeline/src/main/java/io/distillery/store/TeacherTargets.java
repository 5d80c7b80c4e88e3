package io.distillery.store;

import io.distillery.config.MissingMass;
import io.distillery.config.Precision;
import org.apache.spark.sql.Row;

import java.io.Serializable;
import java.util.List;

/**
 * Reads a store row's teacher outputs as the dense row of C logits the losses consume, whatever the store's
 * layout: a dense store's {@code teacher_logits} as they are, a top-k store's kept classes rebuilt by
 * {@link TopKLogits#reconstruct} with the configured {@link MissingMass}. Also decodes float16 columns.
 *
 * <p>A plain serializable class (shipped to executors inside the training's row-packing function).
 */
public final class TeacherTargets implements Serializable {
    private static final long serialVersionUID = 1L;

    private final StoreLayout layout;
    private final MissingMass missingMass;

    private TeacherTargets(StoreLayout layout, MissingMass missingMass) {
        this.layout = layout;
        this.missingMass = missingMass;
    }

    /** Teacher logits from {@code teacher_logits}. */
    public static TeacherTargets dense() {
        return new TeacherTargets(StoreLayout.dense(), MissingMass.UNIFORM);
    }

    /** Teacher logits from a store of the given layout; {@code missingMass} matters for a top-k layout only. */
    public static TeacherTargets of(StoreLayout layout, MissingMass missingMass) {
        return new TeacherTargets(layout, missingMass);
    }

    public StoreLayout layout() {
        return layout;
    }

    public MissingMass missingMass() {
        return missingMass;
    }

    /** The store columns this reader needs. */
    public List<String> columns() {
        return layout.isTopK()
                ? List.of(SoftTargetSchema.TOPK_INDEX, SoftTargetSchema.TOPK_LOGPROB, SoftTargetSchema.TOPK_LOGREST,
                SoftTargetSchema.LOGSUMEXP)
                : List.of(SoftTargetSchema.LOGITS);
    }

    /** Writes the row's C teacher logits into {@code target[offset, offset + C)}. */
    public void write(Row row, int numClasses, float[] target, int offset) {
        if (!layout.isTopK()) {
            List<Float> logits = row.getList(row.fieldIndex(SoftTargetSchema.LOGITS));
            for (int i = 0; i < numClasses; i++) {
                target[offset + i] = logits.get(i);
            }
            return;
        }
        List<Integer> index = row.getList(row.fieldIndex(SoftTargetSchema.TOPK_INDEX));
        int[] idx = new int[index.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = index.get(i);
        }
        float[] lp = floats(row, SoftTargetSchema.TOPK_LOGPROB, layout.logitPrecision());
        float lse = row.getFloat(row.fieldIndex(SoftTargetSchema.LOGSUMEXP));
        float logRest = row.getFloat(row.fieldIndex(SoftTargetSchema.TOPK_LOGREST));
        TopKLogits.reconstruct(idx, lp, lse, logRest, numClasses, missingMass, target, offset);
    }

    /**
     * A float array column of a store row: {@code array<float>}, or float16 bits in {@code array<short>} (see
     * {@link Half}), as recorded in the store's layout (for {@code tap_*} columns:
     * {@link StoreLayout#featurePrecision}).
     */
    public static float[] floats(Row row, String column, Precision precision) {
        List<?> values = row.getList(row.fieldIndex(column));
        float[] out = new float[values.size()];
        if (precision == Precision.FLOAT16) {
            for (int i = 0; i < out.length; i++) {
                out[i] = Half.toFloat((Short) values.get(i));
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = (Float) values.get(i);
            }
        }
        return out;
    }
}
