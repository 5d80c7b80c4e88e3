package io.distillery.jobs;

import io.distillery.testing.Cli;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kind of bad input (data, model, store, config, existing output) ends the CLI with exit code 2 and one
 * {@code error: } sentence naming the column, key or path and the value, leaving nothing at the output path and the
 * input unchanged.
 */
class BadInputTest {
    private static final int WIDTH = 784;

    @TempDir
    static Path base;
    /** A 300-row slice of the sample, so the teachers trained here take seconds. */
    private static Path goodTrain;
    /** The shared run: a committed tiny teacher and its store. */
    private static Path shared;

    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    @BeforeAll
    static void writeFixturesAndTrainSharedTeacher() throws IOException {
        goodTrain = base.resolve("good-train");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("BadInputTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        try {
            spark.read().parquet(Cli.sampleTrain().toString()).orderBy("id").limit(300).coalesce(2)
                    .write().parquet(goodTrain.toString());
            write(spark, "no-label", rows(20, i -> feats(i, WIDTH)), s -> s.drop("label"));
            write(spark, "misnamed-features", rows(20, i -> feats(i, WIDTH)),
                    s -> s.withColumnRenamed("features", "pixels"));
            write(spark, "width-700", rows(20, i -> feats(i, 700)), s -> s);
            write(spark, "mixed-widths", rows(20, i -> feats(i, i % 4 == 0 ? 700 : WIDTH)), s -> s);
            write(spark, "nan", rows(20, i -> withValue(feats(i, WIDTH), i == 7 ? Float.NaN : null)), s -> s);
            write(spark, "infinite", rows(20, i -> withValue(feats(i, WIDTH),
                    i == 11 ? Float.POSITIVE_INFINITY : null)), s -> s);
            write(spark, "empty", List.of(), s -> s);
            List<Row> label12 = new ArrayList<>(rows(20, i -> feats(i, WIDTH)));
            label12.set(5, RowFactory.create(5L, 12, feats(5, WIDTH)));
            write(spark, "label-12", label12, s -> s);
        } finally {
            spark.stop();
        }
        Path corrupt = base.resolve("corrupt");
        Files.createDirectories(corrupt);
        byte[] garbage = new byte[4096];
        new Random(1).nextBytes(garbage);
        Files.write(corrupt.resolve("part-0.parquet"), garbage);

        shared = base.resolve("shared");
        Cli.Result teacher = cli("train-teacher", shared, List.of());
        assertEquals(0, teacher.exit(), teacher::toString);
        Cli.Result store = cli("soft-targets", shared, List.of());
        assertEquals(0, store.exit(), store::toString);
    }

    private static List<Row> rows(int n, IntFunction<List<Float>> features) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create((long) i, i % 10, features.apply(i)));
        }
        return rows;
    }

    private static List<Float> feats(int seed, int width) {
        Random rnd = new Random(seed);
        List<Float> f = new ArrayList<>(width);
        for (int j = 0; j < width; j++) {
            f.add(rnd.nextFloat());
        }
        return f;
    }

    private static List<Float> withValue(List<Float> f, Float value) {
        if (value != null) {
            f.set(100, value);
        }
        return f;
    }

    private static void write(SparkSession spark, String name, List<Row> rows,
                              java.util.function.UnaryOperator<org.apache.spark.sql.Dataset<Row>> shape) {
        shape.apply(spark.createDataFrame(rows, SCHEMA).coalesce(1)).write().parquet(base.resolve(name).toString());
    }

    /** Tiny teacher and student, the sample's test set, everything under {@code runDir}. */
    private static List<String> overrides(Path runDir, List<String> more) {
        List<String> o = new ArrayList<>(List.of(
                "run-dir=" + Cli.quoted(runDir),
                "data.train=" + Cli.quoted(goodTrain),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "teacher.model.layers=[{type=dense,name=h1,units=16}]",
                "teacher.train.epochs=1",
                "student.train.epochs=1",
                "soft-targets.taps=[h1]"));
        o.addAll(more);
        return o;
    }

    private static Cli.Result cli(String command, Path runDir, List<String> more, String... flags) {
        return Cli.run(Cli.args(command, Cli.offlineConf(), overrides(runDir, more), flags));
    }

    /**
     * Runs {@code train-teacher} on a bad training set and checks the contract: exit 2, one sentence containing
     * every {@code expected} fragment, no teacher written, the data unchanged.
     */
    private static String refusedTraining(String fixture, List<String> more, String... expected) {
        Path data = base.resolve(fixture);
        Path runDir = base.resolve("run-" + fixture);
        Map<String, String> before = Cli.snapshot(data);
        List<String> o = new ArrayList<>(List.of("data.train=" + Cli.quoted(data)));
        o.addAll(more);
        Cli.Result r = cli("train-teacher", runDir, o);
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(data.toString()), "the path is not named: " + error);
        for (String e : expected) {
            assertTrue(error.contains(e), "'" + e + "' is not in: " + error);
        }
        assertFalse(Files.exists(runDir.resolve("teacher")), "a teacher was written");
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        assertEquals(before, Cli.snapshot(data), "the input changed");
        return error;
    }

    @Test
    void missingLabelColumn() {
        refusedTraining("no-label", List.of(), "'label'", "distillery.data.label-column", "[id, features]");
    }

    @Test
    void misnamedFeaturesColumn() {
        refusedTraining("misnamed-features", List.of(), "'features'", "distillery.data.features-column", "pixels");
    }

    @Test
    void featureWidthDisagreesWithInputShape() {
        refusedTraining("width-700", List.of("data.input-shape=[1,28,28]"), "width 700", "784", "[1, 28, 28]");
    }

    @Test
    void rowsOfMixedWidths() {
        refusedTraining("mixed-widths", List.of(), "'features'", "different widths", "700", "784");
    }

    @Test
    void nanFeature() {
        refusedTraining("nan", List.of(), "1 of 20 rows", "NaN", "id 7");
    }

    @Test
    void infiniteFeature() {
        refusedTraining("infinite", List.of(), "1 of 20 rows", "infinite", "id 11");
    }

    @Test
    void emptyDataset() {
        refusedTraining("empty", List.of(), "empty", "no rows");
    }

    @Test
    void labelOutsideClassRange() {
        refusedTraining("label-12", List.of(), "'label'", "label 12", "[0, 10)", "distillery.data.num-classes = 10");
    }

    @Test
    void corruptParquetFile() {
        refusedTraining("corrupt", List.of(), "could not be read");
    }

    @Test
    void truncatedTeacherZip() throws IOException {
        Path runDir = base.resolve("run-truncated");
        Cli.copyTree(shared.resolve("teacher"), runDir.resolve("teacher"));
        Path zip = runDir.resolve("teacher/model.zip");
        try (RandomAccessFile f = new RandomAccessFile(zip.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        Map<String, String> before = Cli.snapshot(runDir.resolve("teacher"));
        Cli.Result r = cli("soft-targets", runDir, List.of());
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(zip.toString()) && error.contains("cannot be read"), error);
        assertFalse(Files.exists(runDir.resolve("soft-targets")));
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        assertEquals(before, Cli.snapshot(runDir.resolve("teacher")));
    }

    @Test
    void storeMadeByAnotherTeacher() {
        Path runDir = base.resolve("run-other-teacher");
        Cli.copyTree(shared.resolve("teacher"), runDir.resolve("teacher"));
        Cli.copyTree(shared.resolve("soft-targets"), runDir.resolve("soft-targets"));
        String hashA = Cli.sha256(runDir.resolve("teacher/model.zip"));
        // Teacher B replaces A at the configured path; the store still comes from A.
        Cli.Result b = cli("train-teacher", runDir, List.of("seed=7"), "--overwrite");
        assertEquals(0, b.exit(), b::toString);
        String hashB = Cli.sha256(runDir.resolve("teacher/model.zip"));
        assertNotEquals(hashA, hashB);
        Map<String, String> store = Cli.snapshot(runDir.resolve("soft-targets"));

        Cli.Result r = cli("distill", runDir, List.of());
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(runDir.resolve("soft-targets").toString()), error);
        assertTrue(error.contains(hashA) && error.contains(hashB), error);
        assertFalse(Files.exists(runDir.resolve("student")));
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        assertEquals(store, Cli.snapshot(runDir.resolve("soft-targets")));
    }

    @Test
    void storeClassCountDiffersFromConfig() {
        Map<String, String> before = Cli.snapshot(shared);
        Cli.Result r = cli("distill", shared, List.of("data.num-classes=12"));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(shared.resolve("soft-targets").toString())
                && error.contains("num-classes = 10") && error.contains("12"), error);
        assertFalse(Files.exists(shared.resolve("student")));
        assertEquals(before, Cli.snapshot(shared));
    }

    @Test
    void unknownKeyOverride() {
        Path runDir = base.resolve("run-unknown-key");
        Cli.Result r = cli("train-teacher", runDir, List.of("teacher.modle.layers=[{units=8}]"));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.teacher.modle.layers"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void unknownKeyInConfigFile() throws IOException {
        Path conf = base.resolve("unknown-key.conf");
        Files.writeString(conf, "include file(\"" + Cli.offlineConf() + "\")\ndistillery.foo = 1\n");
        Path runDir = base.resolve("run-unknown-file-key");
        Cli.Result r = Cli.run(Cli.args("train-teacher", conf, overrides(runDir, List.of())));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.foo") && r.error().contains("unknown-key.conf"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void wrongTypeOverride() {
        Path runDir = base.resolve("run-wrong-type");
        Cli.Result r = cli("train-teacher", runDir, List.of("teacher.train.epochs=many"));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.teacher.train.epochs") && r.error().contains("many"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void outputPathExists() {
        Map<String, String> before = Cli.snapshot(shared.resolve("teacher"));
        Cli.Result r = cli("train-teacher", shared, List.of());
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(shared.resolve("teacher").toString()) && error.contains("--overwrite"), error);
        assertEquals(before, Cli.snapshot(shared.resolve("teacher")));
    }
}
