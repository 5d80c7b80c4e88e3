package io.distillery.data;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetReaderTest {
    static SparkSession spark;
    static final Path SAMPLES = TestSupport.samples();

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

    private static void assertCanonical(Dataset<Row> d) {
        StructType s = d.schema();
        assertEquals(List.of("id", "label", "features"), List.of(s.fieldNames()));
        assertEquals(DataTypes.LongType, s.apply("id").dataType());
        assertEquals(DataTypes.IntegerType, s.apply("label").dataType());
        assertEquals(DataTypes.FloatType, ((ArrayType) s.apply("features").dataType()).elementType());
        assertTrue(Canonical.isCanonical(s));
    }

    @Test
    void committedParquetSampleIsCanonicalAndValid() {
        DataSpec spec = TestSupport.arraySpec("parquet", 10, List.of(1, 28, 28));
        String path = SAMPLES.resolve("fashion-mnist/train").toString();
        Dataset<Row> d = DatasetReader.read(spark, spec, path);
        assertCanonical(d);
        DatasetValidator.validate(d, spec, path);
        assertEquals(3000, d.count());
        List<Row> perClass = d.groupBy("label").count().collectAsList();
        assertEquals(10, perClass.size());
        perClass.forEach(r -> assertEquals(300L, r.getLong(1)));
        assertEquals(1000, DatasetReader.read(spark, spec, SAMPLES.resolve("fashion-mnist/test").toString()).count());
    }

    @Test
    void csvBecomesCanonicalWithRemainingNumericColumnsAsFeatures() {
        DataSpec spec = TestSupport.arraySpec("csv", 10, List.of(1, 28, 28));
        String path = SAMPLES.resolve("fashion-mnist-csv/sample.csv").toString();
        Dataset<Row> d = DatasetReader.read(spark, spec, path);
        assertCanonical(d);
        DatasetValidator.validate(d, spec, path);
        List<Row> rows = d.orderBy("id").collectAsList();
        assertEquals(200, rows.size());
        assertEquals(0L, rows.get(0).getLong(0));
        assertEquals(9, rows.get(0).getInt(1), "the first t10k row is an ankle boot");
        assertEquals(784, rows.get(0).getList(2).size());

        // Same pixels as the IDX sample, which holds the same first rows (CSV keeps them as 0..255).
        IdxData idx = IdxReader.read(IdxReaderTest.IMAGES, IdxReaderTest.LABELS);
        List<Float> csvRow = rows.get(3).getList(2);
        for (int j = 0; j < 784; j++) {
            assertEquals(idx.features()[3][j] * 255f, csvRow.get(j), 1e-3);
        }
    }

    @Test
    void csvWithNamedFeatureColumns() {
        List<String> cols = IntStream.range(0, 10).mapToObj(i -> "p" + (i + 100)).toList();
        DataSpec spec = TestSupport.columnsSpec("csv", cols);
        String path = SAMPLES.resolve("fashion-mnist-csv/sample.csv").toString();
        Dataset<Row> d = DatasetReader.read(spark, spec, path);
        assertCanonical(d);
        DatasetValidator.validate(d, spec, path);
        assertEquals(10, d.first().getList(2).size());
    }

    /** A spec for CSV whose features are the columns besides the label (and an id column, when there is one). */
    private static DataSpec csvSpec(int labelIndex, String labelColumn, boolean header, String delimiter) {
        return new DataSpec("t", "t", "csv", "id", labelColumn, "features", List.of(), 4, List.of(), List.of(),
                labelIndex, new DataSpec.Csv(header, delimiter), 0.0, "", "none");
    }

    /** Writes {@code lines} to {@code name} under the test's folder, gzipped when the name ends with .gz. */
    private Path writeLines(String name, List<String> lines) throws IOException {
        Path file = tmp.resolve(name);
        byte[] text = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = name.endsWith(".gz") ? new GZIPOutputStream(Files.newOutputStream(file))
                : Files.newOutputStream(file)) {
            out.write(text);
        }
        return file;
    }

    /** Twelve rows: label i mod 4 at {@code labelAt} among three features i + 0.25, i + 0.5, i + 0.75. */
    private static List<String> rows(int labelAt, String delimiter) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            List<String> fields = new ArrayList<>(List.of(i + ".25", i + ".5", i + ".75"));
            fields.add(labelAt, Integer.toString(i % 4));
            lines.add(String.join(delimiter, fields));
        }
        return lines;
    }

    /** Canonical rows as "id label features" strings, in id order. */
    private static List<String> collect(Dataset<Row> d) {
        return d.orderBy("id").collectAsList().stream()
                .map(r -> r.getLong(0) + " " + r.getInt(1) + " " + r.getList(2)).toList();
    }

    private static List<String> expectedRows() {
        return IntStream.range(0, 12).mapToObj(i -> i + " " + (i % 4) + " [" + i + ".25, " + i + ".5, " + i + ".75]")
                .toList();
    }

    @Test
    void csvWithoutHeaderFindsTheLabelByPositionOrByItsGeneratedName() throws IOException {
        String first = writeLines("first.csv", rows(0, ",")).toString();
        DataSpec byPosition = csvSpec(0, "label", false, ",");
        Dataset<Row> d = DatasetReader.read(spark, byPosition, first);
        assertCanonical(d);
        DatasetValidator.validate(d, byPosition, first);
        assertEquals(expectedRows(), collect(d), "ids 0..11 in file order, the other columns the features");
        assertEquals(List.of("_c0", "_c1", "_c2", "_c3"),
                List.of(DatasetReader.columnNames(spark, byPosition, first)), "Spark's names without a header");
        assertEquals(expectedRows(), collect(DatasetReader.read(spark, csvSpec(-1, "_c0", false, ","), first)));

        String third = writeLines("third.csv", rows(2, ",")).toString();  // label between the features
        assertEquals(expectedRows(), collect(DatasetReader.read(spark, csvSpec(2, "label", false, ","), third)));
        assertEquals(expectedRows(), collect(DatasetReader.read(spark, csvSpec(-1, "_c2", false, ","), third)));
    }

    @Test
    void gzippedCsvReadsLikeThePlainFile() throws IOException {
        List<String> lines = new ArrayList<>(List.of("f1,f2,f3,label"));
        lines.addAll(rows(3, ","));
        DataSpec spec = csvSpec(-1, "label", true, ",");
        String plain = writeLines("plain.csv", lines).toString();
        String gzip = writeLines("data.csv.gz", lines).toString();
        Dataset<Row> d = DatasetReader.read(spark, spec, gzip);
        assertCanonical(d);
        DatasetValidator.validate(d, spec, gzip);
        assertEquals(expectedRows(), collect(d));
        assertEquals(collect(DatasetReader.read(spark, spec, plain)), collect(d));
        byte[] head = Files.readAllBytes(Path.of(gzip));
        assertTrue((head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b, "the file really is gzip");
    }

    @Test
    void csvWithOtherDelimiters() throws IOException {
        for (String delimiter : List.of(";", "\t", "||")) {
            List<String> lines = new ArrayList<>(List.of(String.join(delimiter, "label", "a", "b", "c")));
            lines.addAll(rows(0, delimiter));
            String path = writeLines("sep-" + lines.get(0).length() + ".csv", lines).toString();
            DataSpec spec = csvSpec(-1, "label", true, delimiter);
            Dataset<Row> d = DatasetReader.read(spark, spec, path);
            assertCanonical(d);
            assertEquals(expectedRows(), collect(d), "delimiter '" + delimiter + "'");
        }
    }

    @Test
    void csvMistakesAreOneSentenceNamingThePathTheColumnAndTheValue() throws IOException {
        String path = writeLines("four.csv", rows(0, ",")).toString();
        DistilleryException outOfRange = assertThrows(DistilleryException.class,
                () -> DatasetReader.read(spark, csvSpec(4, "label", false, ","), path));
        assertEquals("Key distillery.data.label-index is 4 but the data at '" + path + "' has 4 columns "
                + "[_c0, _c1, _c2, _c3], at positions 0 to 3.", outOfRange.getMessage());

        List<String> lines = new ArrayList<>(rows(0, ","));
        lines.set(7, "3,7.25,n/a,7.75");
        String text = writeLines("text.csv", lines).toString();
        DistilleryException notANumber = assertThrows(DistilleryException.class,
                () -> DatasetReader.read(spark, csvSpec(0, "label", false, ","), text));
        assertEquals("Column '_c2' of the CSV data at '" + text + "' is not numeric (Spark read it as string, e.g. "
                + "the value 'n/a'), so it cannot be a feature; fix the data, or list the feature columns to use in "
                + "distillery.data.feature-columns (with distillery.data.features-column = \"\").",
                notANumber.getMessage());
    }

    @Test
    void idxFormatReadsImagesAndLabelsBeside() {
        DataSpec spec = TestSupport.arraySpec("idx", 10, List.of(1, 28, 28));
        String path = IdxReaderTest.IMAGES.toString();
        Dataset<Row> d = DatasetReader.read(spark, spec, path);
        assertCanonical(d);
        DatasetValidator.validate(d, spec, path);
        Row first = d.orderBy("id").first();
        assertEquals(0L, first.getLong(0));
        assertEquals(9, first.getInt(1));
        assertEquals(100, d.count());
    }

    @Test
    void parquetWithNumericFeatureColumnsAndOtherArrayTypes() {
        StructType schema = new StructType()
                .add("key", DataTypes.IntegerType)
                .add("y", DataTypes.LongType)
                .add("a", DataTypes.DoubleType)
                .add("b", DataTypes.IntegerType)
                .add("c", DataTypes.FloatType)
                .add("dbl", DataTypes.createArrayType(DataTypes.DoubleType))
                .add("ints", DataTypes.createArrayType(DataTypes.IntegerType));
        List<Row> rows = List.of(
                RowFactory.create(7, 1L, 0.5, 2, 1.5f, new double[]{0.25, 0.5}, new int[]{1, 2}),
                RowFactory.create(8, 0L, 1.0, 3, 2.5f, new double[]{0.75, 1.0}, new int[]{3, 4}));
        String path = tmp.resolve("cols").toString();
        spark.createDataFrame(rows, schema).write().parquet(path);

        DataSpec list = new DataSpec("t", "t", "parquet", "key", "y", "", List.of("a", "b", "c"), 2, List.of(),
                List.of());
        Dataset<Row> d = DatasetReader.read(spark, list, path);
        assertCanonical(d);
        DatasetValidator.validate(d, list, path);
        DatasetValidator.validate(spark.read().parquet(path), list, path); // raw data named by the config
        Row r = d.orderBy("id").first();
        assertEquals(7L, r.getLong(0));
        assertEquals(1, r.getInt(1));
        assertEquals(List.of(0.5f, 2f, 1.5f), r.getList(2));

        for (String arrayColumn : List.of("dbl", "ints")) {
            DataSpec spec = new DataSpec("t", "t", "parquet", "key", "y", arrayColumn, List.of(), 2, List.of(),
                    List.of());
            Dataset<Row> a = DatasetReader.read(spark, spec, path);
            assertCanonical(a);
            DatasetValidator.validate(a, spec, path);
            assertEquals(2, a.orderBy("id").first().getList(2).size());
        }
    }

    @Test
    void generatedIdsAreStableAcrossReadsAndSplitSizes() {
        // Three files without an id column; row content identifies each row.
        String path = tmp.resolve("noid").toString();
        StructType schema = new StructType().add("label", DataTypes.IntegerType)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            rows.add(RowFactory.create(i % 10, new float[]{i, i * 0.5f}));
        }
        spark.createDataFrame(rows, schema).repartition(3).write().parquet(path);
        DataSpec spec = TestSupport.arraySpec("parquet", 10, List.of());

        Map<Long, Float> first = idToContent(DatasetReader.read(spark, spec, path));
        assertEquals(3000, first.size());
        assertEquals(3000, first.keySet().stream().filter(id -> id >= 0 && id < 3000).count(), "ids are 0..n-1");
        Map<Long, Float> second = idToContent(DatasetReader.read(spark, spec, path));
        assertEquals(first, second);

        // Tiny splits: each file is now read in several pieces by several tasks; the ids must not change.
        String before = spark.conf().get("spark.sql.files.maxPartitionBytes");
        spark.conf().set("spark.sql.files.maxPartitionBytes", "2k");
        try {
            Dataset<Row> split = DatasetReader.read(spark, spec, path);
            assertTrue(split.rdd().getNumPartitions() > 3);
            assertEquals(first, idToContent(split));
        } finally {
            spark.conf().set("spark.sql.files.maxPartitionBytes", before);
        }
    }

    private static Map<Long, Float> idToContent(Dataset<Row> d) {
        Map<Long, Float> m = new HashMap<>();
        for (Row r : d.collectAsList()) {
            m.put(r.getLong(0), (Float) r.getList(2).get(0));
        }
        return m;
    }

    @Test
    void writerRoundTripsCanonicalDataSortedById() {
        DataSpec spec = TestSupport.arraySpec("idx", 10, List.of(1, 28, 28));
        Dataset<Row> d = DatasetReader.read(spark, spec, IdxReaderTest.IMAGES.toString());
        String out = tmp.resolve("out").toString();
        DatasetWriter.writeParquet(d, out, 3);
        DatasetWriter.writeParquet(d, out, 3); // replaces, does not fail or append
        Dataset<Row> back = DatasetReader.read(spark, TestSupport.arraySpec("parquet", 10, List.of(1, 28, 28)), out);
        assertCanonical(back);
        assertEquals(100, back.count());
        List<Row> a = d.orderBy("id").collectAsList();
        List<Row> b = back.orderBy("id").collectAsList();
        assertEquals(a.get(17).getList(2), b.get(17).getList(2));
        assertTrue(new java.io.File(out, "_SUCCESS").exists());
        java.io.File[] parts = new java.io.File(out).listFiles((dir, name) -> name.endsWith(".zstd.parquet"));
        assertEquals(3, parts.length);
    }

    @Test
    void idxConverterTakesStratifiedSampleWithOriginalIds() {
        String out = tmp.resolve("idx-sample").toString();
        long n = IdxToParquet.convert(spark, IdxReaderTest.IMAGES, IdxReaderTest.LABELS, out, 2, 0, 1);
        assertEquals(100, n);
        IdxData idx = IdxReader.read(IdxReaderTest.IMAGES, IdxReaderTest.LABELS);
        int perClass = (int) java.util.Arrays.stream(idx.labels()).filter(l -> l == 0).count();
        int min = IntStream.range(0, 10)
                .map(c -> (int) java.util.Arrays.stream(idx.labels()).filter(l -> l == c).count()).min().orElse(0);
        String sampled = tmp.resolve("idx-strat").toString();
        assertEquals(10L * min, IdxToParquet.convert(spark, IdxReaderTest.IMAGES, IdxReaderTest.LABELS, sampled, 2,
                10 * min, 7));
        Dataset<Row> s = spark.read().parquet(sampled);
        s.groupBy("label").count().collectAsList().forEach(r -> assertEquals((long) min, r.getLong(1)));
        for (Row r : s.collectAsList()) {
            int id = (int) r.getLong(0);
            assertEquals(idx.labels()[id], r.getInt(1), "id is the row index in the IDX file");
            float[] f = new float[784];
            List<Float> l = r.getList(2);
            for (int j = 0; j < 784; j++) {
                f[j] = l.get(j);
            }
            assertArrayEquals(idx.features()[id], f);
        }
        assertTrue(perClass > 0);
    }
}
