package io.distillery.jobs;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import io.distillery.data.DatasetReader;
import io.distillery.data.DatasetValidator;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.List;

/** Reads and validates the configured datasets before any training or inference job starts. */
final class Inputs {
    private Inputs() {
    }

    /** The canonical training set (id, label, features), validated. */
    static Dataset<Row> train(JobContext ctx) {
        return read(ctx.spark(), ctx.config().data(), ctx.config().data().train());
    }

    /** The canonical held-out set, validated. */
    static Dataset<Row> test(JobContext ctx) {
        return read(ctx.spark(), ctx.config().data().forHeldOut(), ctx.config().data().test());
    }

    /** The validation set named by {@code data.validation}, validated as the held-out set is. */
    static Dataset<Row> validation(JobContext ctx) {
        return read(ctx.spark(), ctx.config().data().forHeldOut(), ctx.config().data().validation());
    }

    private static Dataset<Row> read(SparkSession spark, DataSpec spec, String path) {
        Dataset<Row> data = DatasetReader.read(spark, spec, path);
        DatasetValidator.validate(data, spec, path);
        return data;
    }

    /** Features per row: declared in config, else read from the first row (the validator checked they agree). */
    static int featureWidth(JobContext ctx, Dataset<Row> data) {
        int declared = ctx.config().data().declaredFeatureWidth();
        if (declared > 0) {
            return declared;
        }
        List<Row> first = data.select(SoftTargetSchema.FEATURES).takeAsList(1);
        if (first.isEmpty()) {
            throw new DistilleryException("Dataset " + ctx.config().data().train() + " is empty.");
        }
        return first.get(0).getList(0).size();
    }
}
