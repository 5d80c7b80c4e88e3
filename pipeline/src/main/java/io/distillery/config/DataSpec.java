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
 * @param labelColumn      label column (when {@code labelIndex} is -1): integers in {@code [0, numClasses)}, or
 *                         strings (class names), indexed in alphabetical order on the training data
 * @param featuresColumn   an {@code array<float>} column holding all features, or empty when {@code featureColumns}
 *                         is used
 * @param featureColumns   numeric feature columns, in order, used when {@code featuresColumn} is empty
 * @param numClasses       number of classes; labels must lie in {@code [0, numClasses)}. 0: from the data (the
 *                         class names of string labels, the largest integer label + 1, or the artifact read)
 * @param inputShape       {@code [channels, height, width]} for convolutional models, empty for flat inputs
 * @param partitionColumns Hive-style partition columns of the input, kept in the soft-target store
 * @param labelIndex       0-based position of the label column among the file's columns (partition columns not
 *                         counted), or -1 to find it by {@code labelColumn}; for CSV without a header, whose columns
 *                         are named {@code _c0, _c1, ...}
 * @param csv              how CSV files are laid out (used when {@code format} is {@code csv})
 * @param validationFraction fraction of the training rows held out for validation, chosen by a hash of the id
 *                         (the same rows for every stage, model and seed); 0: none, the per-epoch figure is then
 *                         measured on {@code validation}, or on {@code test} when that is empty too
 * @param validation       path of a validation set of its own (same format), instead of carving one out of
 *                         {@code train}; empty for none
 * @param scaling          {@code none}, {@code standard} or {@code minmax}: how features are scaled, with statistics
 *                         fitted on the teacher's training rows ({@link io.distillery.data.FeatureScaling})
 * @param studentFeaturesColumn cross-modal distillation: an {@code array<float>} column of the same rows that the
 *                         student reads instead of the teacher's features; empty (with {@code studentFeatureColumns}
 *                         empty) when the student reads the teacher's features
 * @param studentFeatureColumns or the student's view as numeric columns, used when {@code studentFeaturesColumn}
 *                         is empty
 */
public record DataSpec(String train, String test, String format, String idColumn, String labelColumn,
                       String featuresColumn, List<String> featureColumns, int numClasses, List<Integer> inputShape,
                       List<String> partitionColumns, int labelIndex, Csv csv, double validationFraction,
                       String validation, String scaling, String studentFeaturesColumn,
                       List<String> studentFeatureColumns) {

    /**
     * The layout of CSV files. Gzipped files ({@code .csv.gz}) are read as they are; Spark reads each whole in one
     * task, since gzip cannot be split.
     *
     * @param header    whether the first line of each file names the columns; without one Spark names them
     *                  {@code _c0, _c1, ...} in file order
     * @param delimiter the field separator, one or more characters (e.g. {@code ;} or a tab)
     */
    public record Csv(boolean header, String delimiter) {
        /** A header line and commas. */
        public static final Csv DEFAULT = new Csv(true, ",");
    }

    /** A spec that finds the label by name and reads CSV with a header and commas. */
    public DataSpec(String train, String test, String format, String idColumn, String labelColumn,
                    String featuresColumn, List<String> featureColumns, int numClasses, List<Integer> inputShape,
                    List<String> partitionColumns) {
        this(train, test, format, idColumn, labelColumn, featuresColumn, featureColumns, numClasses, inputShape,
                partitionColumns, -1, Csv.DEFAULT, 0.0, "", "none");
    }

    /** A spec in which the student reads the teacher's features (no cross-modal view). */
    public DataSpec(String train, String test, String format, String idColumn, String labelColumn,
                    String featuresColumn, List<String> featureColumns, int numClasses, List<Integer> inputShape,
                    List<String> partitionColumns, int labelIndex, Csv csv, double validationFraction,
                    String validation, String scaling) {
        this(train, test, format, idColumn, labelColumn, featuresColumn, featureColumns, numClasses, inputShape,
                partitionColumns, labelIndex, csv, validationFraction, validation, scaling, "", List.of());
    }

    /**
     * The configured {@code validation-fraction}; 0 when a validation set of its own is named and the fraction is
     * only the default (reference.conf's), so that naming {@code validation} is enough. Set explicitly beside
     * {@code validation}, the two are refused together.
     */
    private static double validationFraction(Config c) {
        double fraction = c.getDouble("validation-fraction");
        String origin = c.getValue("validation-fraction").origin().resource();
        boolean byDefault = origin != null && origin.endsWith("reference.conf");
        return byDefault && !c.getString("validation").isBlank() ? 0.0 : fraction;
    }

    static DataSpec from(Config c, ConfigProblems problems) {
        DataSpec d = new DataSpec(c.getString("train"), c.getString("test"), c.getString("format"),
                c.getString("id-column"), c.getString("label-column"), c.getString("features-column"),
                c.getStringList("feature-columns"), c.getInt("num-classes"), c.getIntList("input-shape"),
                c.getStringList("partition-columns"), c.getInt("label-index"),
                new Csv(c.getBoolean("csv.header"), c.getString("csv.delimiter")),
                validationFraction(c), c.getString("validation"), c.getString("scaling"),
                c.getString("student-features-column"), c.getStringList("student-feature-columns"));
        problems.check(d.validationFraction == 0 || d.validation.isBlank(), "Keys distillery.data.validation-fraction"
                + " (" + d.validationFraction + ") and distillery.data.validation ('" + d.validation + "') are both "
                + "set; carve the validation rows out of the training data or name a validation set, not both.");
        problems.check(d.validationFraction >= 0 && d.validationFraction < 1, "Key distillery.data.validation-fraction"
                + " is " + d.validationFraction + "; it must be at least 0 and below 1.");
        problems.check(d.labelIndex >= -1, "Key distillery.data.label-index is " + d.labelIndex
                + "; use a column position from 0, or -1 to find the label by distillery.data.label-column.");
        problems.check(!d.csv.delimiter().isEmpty(),
                "Key distillery.data.csv.delimiter is empty; name the field separator, e.g. \",\" or \";\".");
        problems.check(!d.train.isBlank(), "Key distillery.data.train is empty; name the training data path.");
        problems.check(!d.test.isBlank(), "Key distillery.data.test is empty; name the held-out data path.");
        problems.check(List.of("parquet", "csv", "idx").contains(d.format),
                "Key distillery.data.format is '" + d.format + "'; use parquet, csv or idx.");
        problems.check(d.numClasses == 0 || d.numClasses >= 2, "Key distillery.data.num-classes is " + d.numClasses
                + "; it must be at least 2, or 0 to take it from the data.");
        problems.check(List.of("none", "standard", "minmax").contains(d.scaling),
                "Key distillery.data.scaling is '" + d.scaling + "'; use none, standard or minmax.");
        problems.check(d.featuresColumn.isBlank() != d.featureColumns.isEmpty(),
                "Keys distillery.data.features-column ('" + d.featuresColumn + "') and "
                        + "distillery.data.feature-columns (" + d.featureColumns
                        + ") are both set or both empty; set exactly one.");
        problems.check(d.studentFeaturesColumn.isBlank() || d.studentFeatureColumns.isEmpty(),
                "Keys distillery.data.student-features-column ('" + d.studentFeaturesColumn + "') and "
                        + "distillery.data.student-feature-columns (" + d.studentFeatureColumns
                        + ") are both set; set at most one.");
        problems.check(!d.hasStudentView() || !"idx".equals(d.format), "Key distillery.data.student-features-column"
                + " or student-feature-columns is set but IDX data has one view only (its pixels); convert it to "
                + "Parquet with a second column for the student.");
        problems.check(d.studentFeaturesColumn.isBlank() || !"csv".equals(d.format), "Key distillery.data."
                + "student-features-column is '" + d.studentFeaturesColumn + "' but CSV has no array columns; list "
                + "the student's columns in distillery.data.student-feature-columns instead.");
        // The scaling statistics are fitted on the teacher's features only; the student's view has none yet.
        problems.check(!d.hasStudentView() || "none".equals(d.scaling), "Key distillery.data.scaling is "
                + d.scaling + " but the student reads its own view (" + d.studentViewName() + "), whose features "
                + "are never scaled; set data.scaling = none for cross-modal distillation.");
        problems.check(d.inputShape.isEmpty() || d.inputShape.size() == 3,
                "Key distillery.data.input-shape is " + d.inputShape + "; use [channels, height, width] or [].");
        return d;
    }

    /** The same spec without partition columns: they describe the training input, not the held-out set. */
    public DataSpec forHeldOut() {
        return new DataSpec(train, test, format, idColumn, labelColumn, featuresColumn, featureColumns, numClasses,
                inputShape, List.of(), labelIndex, csv, validationFraction, validation, scaling,
                studentFeaturesColumn, studentFeatureColumns);
    }

    /** The same spec with the class count resolved (from the data or an artifact, when the config says 0). */
    public DataSpec withNumClasses(int classes) {
        return new DataSpec(train, test, format, idColumn, labelColumn, featuresColumn, featureColumns, classes,
                inputShape, partitionColumns, labelIndex, csv, validationFraction, validation, scaling,
                studentFeaturesColumn, studentFeatureColumns);
    }

    /** Whether the student reads a view of its own (cross-modal distillation) rather than the teacher's features. */
    public boolean hasStudentView() {
        return !studentFeaturesColumn.isBlank() || !studentFeatureColumns.isEmpty();
    }

    /**
     * The student's view as recorded in the {@code student-features} fact of stores and models: the array column's
     * name, or the numeric columns joined by commas; empty without a view of its own.
     */
    public String studentViewName() {
        return !studentFeaturesColumn.isBlank() ? studentFeaturesColumn : String.join(",", studentFeatureColumns);
    }

    /**
     * The student's input shape: {@link #inputShape()} when it reads the teacher's features; flat (empty) for a view
     * of its own, since the input shape describes the teacher's features (a CNN teacher may teach an MLP student).
     */
    public List<Integer> studentInputShape() {
        return hasStudentView() ? List.of() : inputShape;
    }

    /** Number of input features per row when the input shape is known, else -1 (checked against the data). */
    public int declaredFeatureWidth() {
        if (!inputShape.isEmpty()) {
            return inputShape.get(0) * inputShape.get(1) * inputShape.get(2);
        }
        return featureColumns.isEmpty() ? -1 : featureColumns.size();
    }
}
