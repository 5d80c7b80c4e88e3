package io.distillery.config;

import com.typesafe.config.Config;

import java.util.List;

/**
 * Where the data is and how its columns are named.
 *
 * @param train            path of the training set (a Parquet directory, a CSV file or directory, or an IDX image file)
 * @param test             path of the held-out set, same format
 * @param format           {@code parquet}, {@code csv} or {@code idx}
 * @param idColumn         id column; generated (stable across runs over the same files) when absent from the data
 * @param labelColumn      integer label column
 * @param featuresColumn   an {@code array<float>} column holding all features, or empty when {@code featureColumns}
 *                         is used
 * @param featureColumns   numeric feature columns, in order, used when {@code featuresColumn} is empty
 * @param numClasses       number of classes; labels must lie in {@code [0, numClasses)}
 * @param inputShape       {@code [channels, height, width]} for convolutional models, empty for flat inputs
 * @param partitionColumns Hive-style partition columns of the input, kept in the soft-target store
 */
public record DataSpec(String train, String test, String format, String idColumn, String labelColumn,
                       String featuresColumn, List<String> featureColumns, int numClasses, List<Integer> inputShape,
                       List<String> partitionColumns) {

    static DataSpec from(Config c, ConfigProblems problems) {
        DataSpec d = new DataSpec(c.getString("train"), c.getString("test"), c.getString("format"),
                c.getString("id-column"), c.getString("label-column"), c.getString("features-column"),
                c.getStringList("feature-columns"), c.getInt("num-classes"), c.getIntList("input-shape"),
                c.getStringList("partition-columns"));
        problems.check(!d.train.isBlank(), "Key distillery.data.train is empty; name the training data path.");
        problems.check(!d.test.isBlank(), "Key distillery.data.test is empty; name the held-out data path.");
        problems.check(List.of("parquet", "csv", "idx").contains(d.format),
                "Key distillery.data.format is '" + d.format + "'; use parquet, csv or idx.");
        problems.check(d.numClasses >= 2,
                "Key distillery.data.num-classes is " + d.numClasses + "; it must be at least 2.");
        problems.check(d.featuresColumn.isBlank() != d.featureColumns.isEmpty(),
                "Keys distillery.data.features-column ('" + d.featuresColumn + "') and "
                        + "distillery.data.feature-columns (" + d.featureColumns
                        + ") are both set or both empty; set exactly one.");
        problems.check(d.inputShape.isEmpty() || d.inputShape.size() == 3,
                "Key distillery.data.input-shape is " + d.inputShape + "; use [channels, height, width] or [].");
        return d;
    }

    /** The same spec without partition columns: they describe the training input, not the held-out set. */
    public DataSpec forHeldOut() {
        return new DataSpec(train, test, format, idColumn, labelColumn, featuresColumn, featureColumns, numClasses,
                inputShape, List.of());
    }

    /** Number of input features per row when the input shape is known, else -1 (checked against the data). */
    public int declaredFeatureWidth() {
        if (!inputShape.isEmpty()) {
            return inputShape.get(0) * inputShape.get(1) * inputShape.get(2);
        }
        return featureColumns.isEmpty() ? -1 : featureColumns.size();
    }
}
