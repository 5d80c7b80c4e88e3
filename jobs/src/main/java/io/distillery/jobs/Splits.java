package io.distillery.jobs;

import io.distillery.store.SoftTargetSchema;
import io.distillery.train.LabelledSubset;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.ValidationSplit;
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

    /**
     * What the baseline trains on: the rows of {@code rows} whose label the students may see
     * ({@code distill.labelled-fraction}, by {@link LabelledSubset}), each {@link #baselinePasses} times per epoch.
     * The repeats make one baseline epoch about as many minibatches as the student's, so one early-stopping rule
     * ({@code patience} epochs, at most {@code epochs}) gives both models the same amount of training to improve
     * in: with 5% of the labels, a pass over the labelled rows alone is 20 times shorter than the student's epoch,
     * and 5 such passes without improvement on a noisy validation figure would stop the baseline long before it
     * has converged.
     */
    static Dataset<Row> baselineRows(JobContext ctx, Dataset<Row> rows) {
        double fraction = ctx.config().distill().labelledFraction();
        if (fraction >= 1.0) {
            return rows;
        }
        long seed = ctx.config().seed();
        int passes = baselinePasses(fraction);
        Dataset<Row> labelled = rows.filter((FilterFunction<Row>) r -> LabelledSubset.isLabelled(
                r.getLong(r.fieldIndex(SoftTargetSchema.ID)), seed, fraction));
        // Copied on the executors in one scan of the store (a union of the filtered rows with itself would read
        // the store once per pass), through an RDD so the copies keep the rows' schema for the packing.
        return rows.sparkSession().createDataFrame(labelled.javaRDD()
                .flatMap(r -> java.util.Collections.nCopies(passes, r).iterator()), labelled.schema());
    }

    /** Passes over the labelled rows in one baseline epoch: {@code round(1 / labelled-fraction)}, at least 1. */
    static int baselinePasses(double labelledFraction) {
        return labelledFraction >= 1.0 ? 1 : (int) Math.max(1, Math.round(1.0 / labelledFraction));
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
     * input), or the validation set {@code data.validation}, or the test set, packed with one-hot labels in blocks
     * of about {@code blockMb} MB (the training run's {@code train.block-mb}).
     */
    static TrainingBlocks heldOut(JobContext ctx, Dataset<Row> rows, int width, int blockMb) {
        return heldOut(ctx, rows, width, false, blockMb);
    }

    /**
     * The held-out blocks as above; for a {@code student}, a named validation or test set is read through the
     * student's own view when one is configured (cross-modal), as the store it trains on holds that view.
     */
    static TrainingBlocks heldOut(JobContext ctx, Dataset<Row> rows, int width, boolean student, int blockMb) {
        double fraction = ctx.config().data().validationFraction();
        Dataset<Row> heldOut;
        if (fraction > 0.0) {
            heldOut = rows.filter((FilterFunction<Row>) r -> ValidationSplit.isValidation(
                    r.getLong(r.fieldIndex(SoftTargetSchema.ID)), fraction));
        } else {
            heldOut = ctx.config().data().validation().isBlank() ? Inputs.test(ctx) : Inputs.validation(ctx);
            heldOut = student ? Inputs.studentView(ctx, heldOut) : heldOut;
        }
        return TrainingBlocks.pack(heldOut, ctx.workers(0), width, RowLabels.oneHot(ctx.config().data().numClasses()),
                blockMb);
    }
}
