package io.distillery.jobs;

import io.distillery.store.SoftTargetSchema;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.ValidationSplit;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The training rows a stage trains on and the rows its per-epoch figure is measured on. With
 * {@code data.validation-fraction > 0} a fixed share of the training rows, chosen by a hash of the id
 * ({@link ValidationSplit}), is never trained on and is the held-out set of every training; the test set is then
 * read by {@code evaluate} alone. With 0, every training row is trained on and the per-epoch figure is measured on
 * the validation set {@code data.validation} when one is named, else on the test set.
 */
final class Splits {
    private Splits() {
    }

    /** The rows to train on: all of them, or those outside the validation split. */
    static Dataset<Row> training(JobContext ctx, Dataset<Row> rows) {
        double fraction = ctx.config().data().validationFraction();
        return fraction == 0.0 ? rows : rows.filter((FilterFunction<Row>) r -> !ValidationSplit.isValidation(
                r.getLong(r.fieldIndex(SoftTargetSchema.ID)), fraction));
    }

    /** Where the per-epoch figure comes from, for the log and provenance. */
    static String heldOutName(JobContext ctx) {
        double fraction = ctx.config().data().validationFraction();
        if (fraction > 0.0) {
            return "the validation split (" + fraction + " of data.train, by id)";
        }
        String validation = ctx.config().data().validation();
        return validation.isBlank() ? "the test set (data.test)" : "the validation set " + validation;
    }

    /**
     * The held-out blocks of the per-epoch figure: the validation rows of {@code rows} (the stage's whole training
     * input), or the validation set {@code data.validation}, or the test set, packed with one-hot labels.
     */
    static JavaRDD<TrainingBlock> heldOut(JobContext ctx, Dataset<Row> rows, int width) {
        double fraction = ctx.config().data().validationFraction();
        Dataset<Row> heldOut;
        if (fraction > 0.0) {
            heldOut = rows.filter((FilterFunction<Row>) r -> ValidationSplit.isValidation(
                    r.getLong(r.fieldIndex(SoftTargetSchema.ID)), fraction));
        } else {
            heldOut = ctx.config().data().validation().isBlank() ? Inputs.test(ctx) : Inputs.validation(ctx);
        }
        return TrainingBlocks.pack(heldOut, ctx.workers(0), width, RowLabels.oneHot(ctx.config().data().numClasses()));
    }
}
