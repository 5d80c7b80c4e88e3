package io.distillery.data;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetValidatorTest {
    static SparkSession spark;
    static final StructType RAW = new StructType()
            .add("id", DataTypes.LongType)
            .add("label", DataTypes.IntegerType)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    static final DataSpec SPEC = TestSupport.arraySpec("parquet", 10, List.of(1, 2, 2));

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = TestSupport.spark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Rows {@code id, label, features}; the default row is valid (4 features, label id % 10). */
    private static List<Row> rows(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create((long) i, i % 10, new float[]{0.1f, 0.2f, 0.3f, i}));
        }
        return rows;
    }

    private String write(List<Row> rows, StructType schema) {
        String path = tmp.resolve("d" + System.nanoTime()).toString();
        spark.createDataFrame(rows, schema).write().parquet(path);
        return path;
    }

    /** Reads and validates {@code path}, returning the message of the DistilleryException it must throw. */
    private static String failure(DataSpec spec, String path) {
        DistilleryException e = assertThrows(DistilleryException.class, () -> {
            Dataset<Row> d = DatasetReader.read(spark, spec, path);
            DatasetValidator.validate(d, spec, path);
        });
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    @Test
    void validDataPasses() {
        String path = write(rows(50), RAW);
        DatasetValidator.validate(DatasetReader.read(spark, SPEC, path), SPEC, path);
        DatasetValidator.validate(spark.read().parquet(path), SPEC, path);
    }

    @Test
    void missingColumnIsNamedWithTheColumnsThatExist() {
        String path = write(rows(5), RAW);
        DataSpec spec = new DataSpec("t", "t", "parquet", "id", "target", "features", List.of(), 10, List.of(),
                List.of());
        assertMentions(failure(spec, path), "'target'", "label-column", "[id, label, features]", path);
    }

    @Test
    void misnamedColumnGetsASuggestion() {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("Labels", DataTypes.IntegerType)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType));
        String path = write(rows(5), schema);
        assertMentions(failure(SPEC, path), "Column 'label'", "is missing", "Did you mean 'Labels'?");
    }

    @Test
    void wrongTypesAreAllReportedTogether() {
        StructType schema = new StructType().add("id", DataTypes.StringType).add("label", DataTypes.DoubleType)
                .add("features", DataTypes.StringType);
        String path = write(List.of(RowFactory.create("a", 1.0, "x")), schema);
        assertMentions(failure(SPEC, path), "'id'", "type string", "'label'", "type double", "'features'");
    }

    @Test
    void wrongWidthNamesFoundAndExpected() {
        List<Row> rows = new ArrayList<>(rows(20));
        String path = write(rows, RAW);
        DataSpec spec = TestSupport.arraySpec("parquet", 10, List.of(1, 28, 28));
        assertMentions(failure(spec, path), "width 4", "declares width 784", "[1, 28, 28]");

        rows.add(RowFactory.create(99L, 1, new float[]{1f, 2f, 3f}));
        assertMentions(failure(SPEC, write(rows, RAW)), "different widths", "from 3 to 4", "width 3 to 4");
    }

    @Test
    void nanAndInfiniteFeaturesAreCountedWithAnExampleId() {
        List<Row> rows = new ArrayList<>(rows(20));
        rows.set(7, RowFactory.create(7L, 7, new float[]{0f, Float.NaN, 0f, 0f}));
        rows.set(9, RowFactory.create(9L, 9, new float[]{0f, Float.NaN, 0f, Float.NaN}));
        assertMentions(failure(SPEC, write(rows, RAW)), "2 of 20 rows", "NaN or infinite", "id 7");

        List<Row> inf = new ArrayList<>(rows(20));
        inf.set(12, RowFactory.create(12L, 2, new float[]{0f, 0f, Float.NEGATIVE_INFINITY, 0f}));
        assertMentions(failure(SPEC, write(inf, RAW)), "1 of 20 rows", "NaN or infinite", "id 12");
    }

    @Test
    void emptyDataNamesThePath() {
        String path = write(List.of(), RAW);
        assertMentions(failure(SPEC, path), "is empty", path);
    }

    @Test
    void labelOutOfRangeGivesValueAndCount() {
        List<Row> rows = new ArrayList<>(rows(30));
        rows.set(3, RowFactory.create(3L, 10, new float[]{0f, 0f, 0f, 0f}));
        rows.set(4, RowFactory.create(4L, 12, new float[]{0f, 0f, 0f, 0f}));
        rows.set(5, RowFactory.create(5L, -1, new float[]{0f, 0f, 0f, 0f}));
        assertMentions(failure(SPEC, write(rows, RAW)), "3 of 30 rows", "outside [0, 10)", "from -1 to 12",
                "'label'");
    }

    @Test
    void severalDataProblemsAreReportedTogether() {
        List<Row> rows = new ArrayList<>(rows(10));
        rows.set(1, RowFactory.create(1L, 42, new float[]{0f, Float.POSITIVE_INFINITY, 0f, 0f}));
        assertMentions(failure(SPEC, write(rows, RAW)), "label 42", "id 1");
    }

    @Test
    void corruptParquetFileNamesThePath() throws Exception {
        String path = write(rows(10), RAW);
        Files.write(Path.of(path, "part-99999-garbage.parquet"), "this is not parquet at all".getBytes());
        assertMentions(failure(SPEC, path), path, "could not be read");
    }

    @Test
    void nonExistentPathIsNamed() {
        String path = tmp.resolve("no-such-dir").toString();
        assertMentions(failure(SPEC, path), "does not exist", "no-such-dir");
        DataSpec csv = TestSupport.arraySpec("csv", 10, List.of());
        assertMentions(failure(csv, path + ".csv"), "does not exist", "no-such-dir.csv");
        DataSpec idx = TestSupport.arraySpec("idx", 10, List.of());
        assertMentions(failure(idx, tmp.resolve("x-images-idx3-ubyte.gz").toString()), "does not exist",
                "x-images-idx3-ubyte.gz");
    }
}
