package io.distillery.data;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Reads a dataset in any supported format into the canonical form (see {@link Canonical}): {@code id} long, {@code
 * label} int, {@code features} array&lt;float&gt;, with a cross-modal student view {@code student_features}
 * array&lt;float&gt;, then the configured partition columns unchanged. A label column
 * of strings (class names) is kept as strings, for {@link LabelIndex} to index.
 *
 * <p>Schema problems (missing, misnamed or mistyped columns) are reported here, all at once, before any data is
 * read. Data problems (widths, NaN, label range, empty data) are {@link DatasetValidator}'s job, which costs one
 * Spark job; call it on the result before training.
 */
public final class DatasetReader {
    /** Characters of a bad value quoted in a message. */
    private static final int MAX_EXAMPLE = 40;

    private DatasetReader() {
    }

    /**
     * Reads {@code path} as {@code spec.format()} and returns the canonical form. The result is lazy except for the
     * small job that generates ids when the data has no id column (and CSV schema inference).
     *
     * @param path a Parquet directory or file, a CSV file or directory (plain or gzipped; header and delimiter as
     *             {@code spec.csv()} says), or a local IDX image file whose label file sits beside it
     *             ({@code images-idx3} replaced by {@code labels-idx1})
     * @throws DistilleryException when the path does not exist, cannot be read, or lacks the configured columns
     */
    public static Dataset<Row> read(SparkSession spark, DataSpec spec, String path) {
        if ("idx".equals(spec.format())) {
            return readIdx(spark, path);
        }
        return toCanonical(spark, scan(spark.read(), spec, path, path), spec, path);
    }

    /**
     * Reads only some partition directories of a Hive-partitioned Parquet or CSV dataset, e.g. the dates an
     * incremental run has not stored yet. The partition columns are still parsed from the directory names, as in a
     * read of the whole {@code root}. Ids must come from the data (generated ids depend on the set of files read).
     *
     * @param relativeDirs partition directories relative to {@code root}, e.g. {@code date=2026-11-28}
     */
    public static Dataset<Row> readPartitions(SparkSession spark, DataSpec spec, String root,
                                              List<String> relativeDirs) {
        if ("idx".equals(spec.format())) {
            throw new DistilleryException("IDX data at " + root + " has no partitions; use Parquet or CSV.");
        }
        String[] paths = relativeDirs.stream().map(d -> root + "/" + d).toArray(String[]::new);
        return toCanonical(spark, scan(spark.read().option("basePath", root), spec, root, paths), spec, root);
    }

    /** The column names of a Parquet or CSV dataset as stored (partition columns included), read from its schema. */
    public static String[] columnNames(SparkSession spark, DataSpec spec, String path) {
        return scan(spark.read(), spec, path, path).schema().fieldNames();
    }

    private static Dataset<Row> scan(DataFrameReader reader, DataSpec spec, String named, String... paths) {
        try {
            return switch (spec.format()) {
                // Only Parquet files: an artifact directory also holds metadata.json.
                case "parquet" -> reader.option("pathGlobFilter", "*.parquet").parquet(paths);
                // inferSchema: CSV has no types; we need ints for labels and numbers for features. Spark names the
                // columns of a file without a header _c0, _c1, ...; gzipped files are decompressed by extension.
                case "csv" -> reader.option("header", Boolean.toString(spec.csv().header()))
                        .option("sep", spec.csv().delimiter()).option("inferSchema", "true").csv(paths);
                default -> throw new DistilleryException("Data format '" + spec.format()
                        + "' is not supported; use parquet, csv or idx.");
            };
        } catch (DistilleryException e) {
            throw e;
        } catch (Exception e) {
            throw SparkFailures.wrap(named, e);
        }
    }

    /** Canonical form of a freshly read file scan (the id generator needs the scan itself, see {@link StableIds}). */
    static Dataset<Row> toCanonical(SparkSession spark, Dataset<Row> scan, DataSpec spec, String path) {
        ColumnRoles roles = ColumnRoles.resolve(scan.schema(), spec, path, column -> notANumber(scan, column))
                .throwIfProblems();
        Dataset<Row> withId;
        String idColumn;
        if (roles.idColumn() != null) {
            withId = scan;
            idColumn = roles.idColumn();
        } else {
            idColumn = "__distillery_id";
            try {
                withId = StableIds.withGeneratedIds(spark, scan, idColumn);
            } catch (Exception e) {
                throw SparkFailures.wrap(path, e);
            }
        }
        List<Column> cols = new ArrayList<>();
        cols.add(col(ColumnRoles.quote(idColumn)).cast(DataTypes.LongType).as(Canonical.ID));
        Column label = col(ColumnRoles.quote(roles.labelColumn()));
        // String labels stay strings here: LabelIndex maps them to indices with the names of the artifact at hand.
        boolean names = scan.schema().apply(roles.labelColumn()).dataType().equals(DataTypes.StringType);
        cols.add((names ? label : label.cast(DataTypes.IntegerType)).as(Canonical.LABEL));
        cols.add(roles.featuresAsFloatArray().as(Canonical.FEATURES, Canonical.MARKER));
        if (roles.hasStudentView()) {
            cols.add(roles.studentFeaturesAsFloatArray().as(Canonical.STUDENT_FEATURES));
        }
        for (String p : roles.partitionColumns()) {
            cols.add(col(ColumnRoles.quote(p)));
        }
        return withId.select(cols.toArray(Column[]::new));
    }

    /**
     * A value of {@code column} that is not a number (what made Spark infer a string for a CSV column), for the
     * message; null when there is none or it cannot be read. Runs a small Spark job, on the error path only.
     */
    private static String notANumber(Dataset<Row> scan, String column) {
        Column c = col(ColumnRoles.quote(column));
        try {
            List<Row> found = scan.select(c.cast(DataTypes.StringType)).where(c.isNotNull()
                    .and(c.cast(DataTypes.DoubleType).isNull())).limit(1).collectAsList();
            if (found.isEmpty()) {
                return null;
            }
            String value = found.get(0).getString(0);
            return value.length() <= MAX_EXAMPLE ? value : value.substring(0, MAX_EXAMPLE) + "...";
        } catch (Exception e) {  // Spark's Scala code may throw the checked SparkException undeclared
            return null;  // the message names the column and its type without an example
        }
    }

    /** IDX input: a local image file, with the label file beside it. */
    private static Dataset<Row> readIdx(SparkSession spark, String path) {
        Path images = localPath(path);
        Path labels = labelsBeside(images);
        IdxData data = IdxReader.read(images, labels);
        return IdxToParquet.toCanonical(spark, data, null, spark.sparkContext().defaultParallelism());
    }

    /** The label file of an IDX image file: same folder, {@code images-idx3} replaced by {@code labels-idx1}. */
    public static Path labelsBeside(Path images) {
        String name = images.getFileName().toString();
        if (!name.contains("images-idx3")) {
            throw new DistilleryException("IDX image file name '" + name + "' does not contain 'images-idx3', so "
                    + "its label file cannot be found (expected the same name with 'labels-idx1').");
        }
        return images.resolveSibling(name.replace("images-idx3", "labels-idx1"));
    }

    private static Path localPath(String path) {
        URI uri = new org.apache.hadoop.fs.Path(path).toUri();
        if (uri.getScheme() != null && !"file".equals(uri.getScheme())) {
            throw new DistilleryException("IDX data path '" + path + "' is not a local file; IDX files are read by "
                    + "the driver, so convert them to Parquet first (IdxToParquet) to use another filesystem.");
        }
        return Path.of(uri.getPath());
    }
}
