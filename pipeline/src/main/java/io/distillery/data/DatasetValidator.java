package io.distillery.data;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.exists;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * Checks a dataset before any training starts and reports every problem found in one {@link DistilleryException}
 * (Spark ML's {@code transformSchema} / XGBoost4J-Spark's {@code validate} convention): a user fixes all of them in
 * one go instead of one per failed run.
 *
 * <p>Schema problems are found from the schema alone. The data checks (empty data, label range, feature widths,
 * NaN and infinite features, nulls) run as one aggregation, one Spark job, because validation must not cost a
 * noticeable part of a run on large data.
 */
public final class DatasetValidator {
    private DatasetValidator() {
    }

    /**
     * Validates {@code data}, either canonical (as {@link DatasetReader} returns it) or raw with its columns named by
     * {@code spec}.
     *
     * @param path where the data came from, named in the messages
     * @return the class count: {@code spec.numClasses()}, or when that is 0 (from the data) the largest label + 1,
     *         found in the same pass
     * @throws DistilleryException listing every problem found, or when the data cannot be read
     */
    public static int validate(Dataset<Row> data, DataSpec spec, String path) {
        ColumnRoles roles = ColumnRoles.resolve(data.schema(), spec, path);
        // Without the columns the data checks cannot even be written down; report the schema problems alone.
        roles.throwIfProblems();

        Column label = col(ColumnRoles.quote(roles.labelColumn())).cast(DataTypes.LongType);
        Column features = roles.featuresAsFloatArray();
        Column id = roles.idColumn() == null ? lit(null).cast(DataTypes.LongType)
                : col(ColumnRoles.quote(roles.idColumn())).cast(DataTypes.LongType);
        boolean inferClasses = spec.numClasses() == 0;
        Column badLabel = inferClasses ? label.lt(0) : label.lt(0).or(label.geq(spec.numClasses()));
        Column nonFinite = exists(features, x -> isnan(x).or(abs(x).equalTo(Float.POSITIVE_INFINITY)));
        Column width = size(features);

        Row s;
        try {
            s = data.agg(
                    count(lit(1)),                                       // 0 rows
                    sum(when(label.isNull(), 1).otherwise(0)),            // 1 null labels
                    sum(when(badLabel, 1).otherwise(0)),                  // 2 labels out of range
                    min(when(badLabel, label)),                           // 3
                    max(when(badLabel, label)),                           // 4
                    sum(when(features.isNull(), 1).otherwise(0)),         // 5 null feature arrays
                    min(when(features.isNotNull(), width)),               // 6 narrowest row
                    max(when(features.isNotNull(), width)),               // 7 widest row
                    sum(when(nonFinite, 1).otherwise(0)),                 // 8 rows with NaN or infinity
                    min(when(nonFinite, id)),                             // 9 an example id
                    sum(when(exists(features, Column::isNull), 1).otherwise(0)), // 10 rows with a null feature
                    max(label)                                           // 11 the largest label
            ).head();
        } catch (Exception e) {
            throw SparkFailures.wrap(path, e);
        }

        ConfigProblems problems = new ConfigProblems();
        long rows = s.getLong(0);
        if (rows == 0) {
            problems.add("The data at '" + path + "' is empty: it holds no rows.");
            problems.throwIfAny();
        }
        String labelName = "'" + roles.labelColumn() + "'";
        String featuresName = roles.featuresColumn() != null ? "Features column '" + roles.featuresColumn() + "'"
                : "The feature columns";
        long nullLabels = s.getLong(1);
        problems.check(nullLabels == 0, nullLabels + " of " + rows + " rows at '" + path
                + "' have a null label in column " + labelName + ".");
        long badLabels = s.getLong(2);
        problems.check(badLabels == 0, badLabels + " of " + rows + " rows at '" + path + "' have a label in column "
                + labelName + (inferClasses ? " below 0" : " outside [0, " + spec.numClasses() + ")")
                + " (distillery.data.num-classes = " + spec.numClasses() + "), e.g. "
                + (badLabels == 0 ? "" : rangeText(s.get(3), s.get(4))) + ".");
        long nullFeatures = s.getLong(5);
        problems.check(nullFeatures == 0, nullFeatures + " of " + rows + " rows at '" + path
                + "' have null features.");
        long nullElements = s.getLong(10);
        problems.check(nullElements == 0, nullElements + " of " + rows + " rows at '" + path
                + "' have a null feature value.");
        if (!s.isNullAt(6)) {
            int minWidth = s.getInt(6);
            int maxWidth = s.getInt(7);
            problems.check(minWidth == maxWidth, featuresName + " at '" + path + "' holds rows of different widths, "
                    + "from " + minWidth + " to " + maxWidth + "; all rows must have the same number of features.");
            int declared = spec.declaredFeatureWidth();
            if (declared > 0 && (minWidth != declared || maxWidth != declared)) {
                problems.add(featuresName + " at '" + path + "' holds rows of width "
                        + (minWidth == maxWidth ? String.valueOf(minWidth) : minWidth + " to " + maxWidth)
                        + " but the config declares width " + declared + declaredFrom(spec) + ".");
            }
        }
        long nonFiniteRows = s.getLong(8);
        problems.check(nonFiniteRows == 0, nonFiniteRows + " of " + rows + " rows at '" + path
                + "' have NaN or infinite values in " + featuresName
                + (s.isNullAt(9) ? "" : ", e.g. the row with id " + s.get(9)) + ".");
        int classes = inferClasses && !s.isNullAt(11) ? (int) Math.min(Integer.MAX_VALUE - 1, s.getLong(11)) + 1
                : spec.numClasses();
        if (roles.hasStudentView()) {
            checkStudentView(data, roles, path, rows, id, problems);
        }
        problems.check(classes >= 2, "The labels in column " + labelName + " at '" + path + "' give " + classes
                + " class (the largest label + 1, as distillery.data.num-classes = 0); there must be at least 2.");
        problems.throwIfAny();
        return classes;
    }

    /**
     * The student's own view (cross-modal distillation) checked like the features: no nulls, one width, no NaN or
     * infinity. A second aggregation, run only when a student view is configured, so one-view data costs as before.
     */
    private static void checkStudentView(Dataset<Row> data, ColumnRoles roles, String path, long rows, Column id,
                                         ConfigProblems problems) {
        Column features = roles.studentFeaturesAsFloatArray();
        Column nonFinite = exists(features, x -> isnan(x).or(abs(x).equalTo(Float.POSITIVE_INFINITY)));
        Column width = size(features);
        Row s;
        try {
            s = data.agg(
                    sum(when(features.isNull(), 1).otherwise(0)),                // 0 null arrays
                    min(when(features.isNotNull(), width)),                      // 1 narrowest row
                    max(when(features.isNotNull(), width)),                      // 2 widest row
                    sum(when(nonFinite, 1).otherwise(0)),                        // 3 rows with NaN or infinity
                    min(when(nonFinite, id)),                                    // 4 an example id
                    sum(when(exists(features, Column::isNull), 1).otherwise(0))  // 5 rows with a null value
            ).head();
        } catch (Exception e) {
            throw SparkFailures.wrap(path, e);
        }
        String name = roles.studentFeaturesColumn() != null
                ? "Student features column '" + roles.studentFeaturesColumn() + "'" : "The student feature columns";
        problems.check(s.getLong(0) == 0, s.getLong(0) + " of " + rows + " rows at '" + path
                + "' have null student features.");
        problems.check(s.getLong(5) == 0, s.getLong(5) + " of " + rows + " rows at '" + path
                + "' have a null student feature value.");
        if (!s.isNullAt(1)) {
            problems.check(s.getInt(1) == s.getInt(2), name + " at '" + path + "' holds rows of different widths, "
                    + "from " + s.getInt(1) + " to " + s.getInt(2) + "; all rows must have the same number of "
                    + "features.");
        }
        problems.check(s.getLong(3) == 0, s.getLong(3) + " of " + rows + " rows at '" + path
                + "' have NaN or infinite values in " + name
                + (s.isNullAt(4) ? "" : ", e.g. the row with id " + s.get(4)) + ".");
    }

    private static String rangeText(Object lo, Object hi) {
        return lo.equals(hi) ? "label " + lo : "labels from " + lo + " to " + hi;
    }

    private static String declaredFrom(DataSpec spec) {
        return spec.inputShape().isEmpty() ? " (" + spec.featureColumns().size() + " feature columns)"
                : " (distillery.data.input-shape = " + spec.inputShape() + ")";
    }
}
