package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistillSpec;
import io.distillery.config.DistilleryException;
import io.distillery.config.MissingMass;
import io.distillery.loss.LogitMseTerm;
import io.distillery.provenance.Provenance;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.StoreLayout;
import io.distillery.store.TeacherTargets;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.array_distinct;
import static org.apache.spark.sql.functions.array_max;
import static org.apache.spark.sql.functions.array_min;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * Reading a soft-target store for training, whatever its layout: the layout comes from the store's metadata, the
 * columns are checked against it ({@link #read}), and a top-k store's values are checked in one
 * scan of its small columns (class indices inside [0, C), k entries per row, no repeated class, a finite
 * log-sum-exp, a log missing mass that is not NaN or +Infinity) before any training starts, each problem as one
 * sentence naming the column and the value.
 */
final class SoftTargetStore {
    private SoftTargetStore() {
    }

    /**
     * How {@code distill} reads the teacher's logits from the store at {@code path}: its recorded layout, with the
     * configured missing-mass treatment. Refuses a layout that cannot fit the class count, and {@code logit-mse}
     * with {@code renormalise} on a top-k store (its missing classes' logits are placeholders, not targets).
     */
    static TeacherTargets teacherTargets(Provenance store, String path, int numClasses, DistillSpec distill,
                                         boolean baseline) {
        StoreLayout layout = StoreLayout.of(store, path);
        ConfigProblems problems = new ConfigProblems();
        problems.check(layout.topK() <= numClasses, "Soft-target store " + path + " has top-k = " + layout.topK()
                + " but " + numClasses + " classes; a store cannot keep more classes than there are.");
        boolean logitMse = distill.loss().stream().anyMatch(t -> LogitMseTerm.NAME.equals(t.term()));
        problems.check(baseline || !layout.isTopK() || layout.topK() >= numClasses || !logitMse
                        || distill.missingMass() != MissingMass.RENORMALISE,
                "Term logit-mse in distillery.distill.loss regresses every teacher logit, but top-k store " + path
                        + " with distillery.distill.missing-mass = renormalise has no logits for the classes it did "
                        + "not keep; use missing-mass = uniform (or a dense store).");
        problems.throwIfAny();
        return TeacherTargets.of(layout, distill.missingMass());
    }

    /** A top-k store's values checked in one scan ({@link #checkTopKValues}); nothing to check for a dense one. */
    static void checkValues(Dataset<Row> rows, String path, TeacherTargets teacher, int numClasses) {
        if (teacher.layout().isTopK()) {
            checkTopKValues(rows, path, teacher.layout().topK(), numClasses);
        }
    }

    /** One aggregation over the index, log-probability and log-sum-exp columns; every problem reported together. */
    static void checkTopKValues(Dataset<Row> rows, String path, int topK, int numClasses) {
        Column index = col(SoftTargetSchema.TOPK_INDEX);
        Column lse = col(SoftTargetSchema.LOGSUMEXP);
        Column rest = col(SoftTargetSchema.TOPK_LOGREST);
        // -Infinity is a legitimate log missing mass (none left, or one that underflows); NaN and +Infinity are not.
        Column badRest = rest.isNull().or(isnan(rest)).or(rest.equalTo(lit(Double.POSITIVE_INFINITY)));
        int k = Math.min(topK, numClasses);
        Row r = rows.agg(
                min(array_min(index)), max(array_max(index)),
                min(size(index)), max(size(index)),
                sum(when(size(col(SoftTargetSchema.TOPK_LOGPROB)).notEqual(size(index)), 1).otherwise(0)),
                sum(when(size(array_distinct(index)).notEqual(size(index)), 1).otherwise(0)),
                sum(when(lse.isNull().or(isnan(lse)).or(lse.equalTo(lit(Double.POSITIVE_INFINITY)))
                        .or(lse.equalTo(lit(Double.NEGATIVE_INFINITY))), 1).otherwise(0)),
                max(when(lse.isNull().or(isnan(lse)).or(lse.equalTo(lit(Double.POSITIVE_INFINITY)))
                        .or(lse.equalTo(lit(Double.NEGATIVE_INFINITY))), lse)),
                sum(when(badRest, 1).otherwise(0)), max(when(badRest, rest))).head();
        if (r.isNullAt(0)) {
            return; // no rows: the trainer reports an empty store
        }
        String column = "Column '" + SoftTargetSchema.TOPK_INDEX + "' of soft-target store " + path;
        ConfigProblems problems = new ConfigProblems();
        int lo = r.getInt(0);
        int hi = r.getInt(1);
        problems.check(lo >= 0, column + " holds class index " + lo + ", outside [0, " + numClasses + ").");
        problems.check(hi < numClasses, column + " holds class index " + hi + ", outside [0, " + numClasses
                + ") (distillery.data.num-classes).");
        int shortest = r.getInt(2);
        int longest = r.getInt(3);
        problems.check(shortest == k && longest == k, column + " has rows of " + (shortest == longest
                ? shortest : shortest + " to " + longest) + " classes; its metadata says top-k = " + topK + ".");
        problems.check(r.getLong(4) == 0, "Column '" + SoftTargetSchema.TOPK_LOGPROB + "' of soft-target store "
                + path + " differs in length from " + SoftTargetSchema.TOPK_INDEX + " in " + r.getLong(4)
                + " rows.");
        problems.check(r.getLong(5) == 0, column + " repeats a class within a row in " + r.getLong(5) + " rows.");
        problems.check(r.getLong(6) == 0, "Column '" + SoftTargetSchema.LOGSUMEXP + "' of soft-target store " + path
                + " holds " + (r.isNullAt(7) ? "null" : r.get(7)) + " in " + r.getLong(6)
                + " rows; it must be finite.");
        problems.check(r.getLong(8) == 0, "Column '" + SoftTargetSchema.TOPK_LOGREST + "' of soft-target store "
                + path + " holds " + (r.isNullAt(9) ? "null" : r.get(9)) + " in " + r.getLong(8)
                + " rows; it must be a log-probability (at most 0, or -Infinity).");
        problems.throwIfAny();
    }

    /**
     * The training columns (id, label, features, the teacher's columns for the store's layout, the given taps),
     * checked against the layout; a top-k store's values scanned once.
     */
    static Dataset<Row> read(JobContext ctx, String storePath, TeacherTargets teacher, List<String> tapColumns) {
        Dataset<Row> rows;
        try {
            rows = ctx.spark().read().option("pathGlobFilter", "*.parquet").parquet(storePath);
        } catch (Exception e) {
            throw new DistilleryException("Soft-target store " + storePath + " cannot be read: " + e.getMessage(), e);
        }
        ConfigProblems problems = new ConfigProblems();
        List<String> columns = new ArrayList<>(List.of(SoftTargetSchema.ID, SoftTargetSchema.LABEL,
                SoftTargetSchema.FEATURES));
        columns.addAll(teacher.columns());
        columns.addAll(tapColumns);
        SoftTargetSchema.checkStoreColumns(rows.schema(), columns, teacher.layout(), storePath, problems);
        problems.throwIfAny();
        Dataset<Row> selected = rows.select(columns.stream().map(org.apache.spark.sql.functions::col)
                .toArray(Column[]::new));
        checkValues(selected, storePath, teacher, ctx.config().data().numClasses());
        return selected;
    }
}
