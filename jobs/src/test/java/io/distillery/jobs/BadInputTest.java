package io.distillery.jobs;

import io.distillery.testing.Cli;
import io.distillery.testing.OutcomeReport;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
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
@TestMethodOrder(MethodOrderer.MethodName.class)  // a stable row order in the generated report
class BadInputTest {
    private static final int WIDTH = 784;

    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport("BadInputTest", "Bad input (in-process CLI, Spark local[2])",
            "Each case runs one subcommand the way a user would; the contract for every case is exit 2, one `error:` "
                    + "sentence naming the column, key or path and the value, nothing at the output path, and the "
                    + "input unchanged. Paths under the test's temporary directory are shown as `<tmp>/`.");

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
            // Class names: a training set without 'Sandal' (label 5), and a test set holding it.
            StringLabelsTest.named(spark.read().parquet(goodTrain.toString()).where("label != 5")).coalesce(2)
                    .write().parquet(base.resolve("names-train").toString());
            StringLabelsTest.named(spark.read().parquet(Cli.sampleTest().toString()).orderBy("id").limit(100))
                    .coalesce(1).write().parquet(base.resolve("names-test").toString());
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
        List<String> o = Cli.runOn(runDir, goodTrain);
        o.addAll(Cli.tinyTeacher(16));
        o.addAll(List.of("student.train.epochs=1", "soft-targets.taps=[h1]"));
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
    /** Records the outcome of a case in the generated report, before the test asserts it. */
    private static void observe(String testCase, String done, String expected, Cli.Result r, boolean written,
                                boolean inputUnchanged) {
        REPORT.observe(testCase, done, "exit 2; " + expected, String.format("exit %d; `%s`; output written: %s; "
                + "input unchanged: %s", r.exit(), r.error(), written ? "yes" : "no", inputUnchanged ? "yes" : "no"));
    }

    private static String refusedTraining(String testCase, String fixture, List<String> more, String... expected) {
        Path data = base.resolve(fixture);
        Path runDir = base.resolve("run-" + fixture);
        Map<String, String> before = Cli.snapshot(data);
        List<String> o = new ArrayList<>(List.of("data.train=" + Cli.quoted(data)));
        o.addAll(more);
        Cli.Result r = cli("train-teacher", runDir, o);
        observe(testCase, "train-teacher on " + fixture + (more.isEmpty() ? "" : " with " + more),
                "names the path and " + String.join(", ", expected), r, Files.exists(runDir.resolve("teacher")),
                before.equals(Cli.snapshot(data)));
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
        refusedTraining("missing column", "no-label", List.of(), "'label'", "distillery.data.label-column",
                "[id, features]");
    }

    @Test
    void misnamedFeaturesColumn() {
        refusedTraining("misnamed column", "misnamed-features", List.of(), "'features'",
                "distillery.data.features-column", "pixels");
    }

    @Test
    void missingStudentFeaturesColumn() {
        // Cross-modal distillation: the student's view named by the config is not in the data.
        refusedTraining("missing student view column (cross-modal)", "good-train",
                List.of("data.student-features-column=profile"), "'profile'",
                "distillery.data.student-features-column", "[id, label, features]");
    }

    @Test
    void featureWidthDisagreesWithInputShape() {
        refusedTraining("wrong feature width", "width-700", List.of("data.input-shape=[1,28,28]"), "width 700", "784",
                "[1, 28, 28]");
    }

    @Test
    void rowsOfMixedWidths() {
        refusedTraining("rows of mixed widths", "mixed-widths", List.of(), "'features'", "different widths", "700",
                "784");
    }

    @Test
    void nanFeature() {
        refusedTraining("NaN feature", "nan", List.of(), "1 of 20 rows", "NaN", "id 7");
    }

    @Test
    void infiniteFeature() {
        refusedTraining("infinite feature", "infinite", List.of(), "1 of 20 rows", "infinite", "id 11");
    }

    @Test
    void emptyDataset() {
        refusedTraining("empty dataset", "empty", List.of(), "empty", "no rows");
    }

    @Test
    void labelOutsideClassRange() {
        refusedTraining("label outside the class range", "label-12", List.of(), "'label'", "label 12", "[0, 10)",
                "distillery.data.num-classes = 10");
    }

    @Test
    void corruptParquetFile() {
        refusedTraining("corrupt Parquet file", "corrupt", List.of(), "could not be read");
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
        observe("truncated model zip", "soft-targets with the teacher's model.zip cut to half its length",
                "names the zip and says it cannot be read", r, Files.exists(runDir.resolve("soft-targets")),
                before.equals(Cli.snapshot(runDir.resolve("teacher"))));
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
        observe("store made by another teacher", "distill from a store made by teacher A after teacher B "
                        + "(another seed) replaced A at the configured path",
                "names the store and both teachers' hashes",
                r, Files.exists(runDir.resolve("student")), store.equals(Cli.snapshot(runDir.resolve("soft-targets"))));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(runDir.resolve("soft-targets").toString()), error);
        assertTrue(error.contains(hashA) && error.contains(hashB), error);
        assertFalse(Files.exists(runDir.resolve("student")));
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        assertEquals(store, Cli.snapshot(runDir.resolve("soft-targets")));
    }

    @Test
    void storeMetadataEditedByHand() throws IOException {
        Path runDir = base.resolve("run-edited-metadata");
        Cli.copyTree(shared.resolve("teacher"), runDir.resolve("teacher"));
        Cli.copyTree(shared.resolve("soft-targets"), runDir.resolve("soft-targets"));
        Path metadata = runDir.resolve("soft-targets/metadata.json");
        // Still valid JSON with the same facts, but no longer what Hadoop's .metadata.json.crc was computed from.
        Files.writeString(metadata, Files.readString(metadata) + "\n");
        Map<String, String> store = Cli.snapshot(runDir.resolve("soft-targets"));

        Cli.Result r = cli("distill", runDir, List.of());
        observe("store metadata edited by hand", "distill from a store whose metadata.json was edited after it was "
                        + "written (its Hadoop .crc no longer matches)", "names metadata.json and its .crc file", r,
                Files.exists(runDir.resolve("student")), store.equals(Cli.snapshot(runDir.resolve("soft-targets"))));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(metadata.toString()) && error.contains(".metadata.json.crc"), error);
        assertFalse(Files.exists(runDir.resolve("student")));
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        assertEquals(store, Cli.snapshot(runDir.resolve("soft-targets")));
    }

    @Test
    void storeClassCountDiffersFromConfig() {
        Map<String, String> before = Cli.snapshot(shared);
        Cli.Result r = cli("distill", shared, List.of("data.num-classes=12"));
        observe("store with another class count", "distill with data.num-classes = 12 from a 10-class store",
                "names the store, num-classes = 10 and 12", r, Files.exists(shared.resolve("student")),
                before.equals(Cli.snapshot(shared)));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(shared.resolve("soft-targets").toString())
                && error.contains("num-classes = 10") && error.contains("12"), error);
        assertFalse(Files.exists(shared.resolve("student")));
        assertEquals(before, Cli.snapshot(shared));
    }

    @Test
    void unseenClassName() {
        Path runDir = base.resolve("run-unseen-class");
        Path test = base.resolve("names-test");
        List<String> o = List.of("data.train=" + Cli.quoted(base.resolve("names-train")),
                "data.test=" + Cli.quoted(test), "data.num-classes=0", "data.validation-fraction=0.2");
        Cli.Result teacher = cli("train-teacher", runDir, o);
        assertEquals(0, teacher.exit(), teacher::toString);
        Map<String, String> before = Cli.snapshot(test);
        Cli.Result r = cli("evaluate", runDir, o);
        observe("unseen class name", "evaluate a teacher trained on class names without 'Sandal' on a test set "
                        + "holding it", "names the class 'Sandal' and the test set's path", r,
                Files.exists(runDir.resolve("evaluation")), before.equals(Cli.snapshot(test)));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains("'Sandal'") && error.contains(test.toString()), error);
        assertFalse(Files.exists(runDir.resolve("evaluation")));
        assertEquals(before, Cli.snapshot(test));
    }

    private static String scalingHash(Path artifact) throws IOException {
        return io.distillery.provenance.ProvenanceJson.fromJson(Files.readString(artifact.resolve("metadata.json")),
                artifact.toString()).fact(io.distillery.data.FeatureScaling.HASH_FACT);
    }

    @Test
    void storeMadeWithOtherStatistics() throws IOException {
        Path runDir = base.resolve("run-other-statistics");
        for (String command : List.of("train-teacher", "soft-targets")) {
            Cli.Result ok = cli(command, runDir, List.of("data.scaling=standard"));
            assertEquals(0, ok.exit(), ok::toString);
        }
        String storeHash = scalingHash(runDir.resolve("soft-targets"));
        // The teacher is retrained with minmax scaling at the configured path; the store still holds standard.
        Cli.Result b = cli("train-teacher", runDir, List.of("data.scaling=minmax"), "--overwrite");
        assertEquals(0, b.exit(), b::toString);
        String teacherHash = scalingHash(runDir.resolve("teacher"));
        assertNotEquals(storeHash, teacherHash);
        Map<String, String> store = Cli.snapshot(runDir.resolve("soft-targets"));

        Cli.Result r = cli("distill", runDir, List.of("data.scaling=minmax"));
        observe("store made with other scaling statistics", "distill with data.scaling = minmax from a store whose "
                        + "features were scaled with a standard-scaled teacher's statistics, after a minmax teacher "
                        + "replaced it", "names the store and both statistics' hashes", r,
                Files.exists(runDir.resolve("student")), store.equals(Cli.snapshot(runDir.resolve("soft-targets"))));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(runDir.resolve("soft-targets").toString()) && error.contains(storeHash)
                && error.contains(teacherHash), error);
        assertFalse(Files.exists(runDir.resolve("student")));
        assertEquals(store, Cli.snapshot(runDir.resolve("soft-targets")));
    }

    @Test
    void modelMadeWithOtherStatisticsInEvaluate() throws IOException {
        Path a = base.resolve("run-statistics-a");
        Path b = base.resolve("run-statistics-b");
        Cli.Result ta = cli("train-teacher", a, List.of("data.scaling=standard"));
        assertEquals(0, ta.exit(), ta::toString);
        // Other training rows (30% held out for validation), so other statistics.
        Cli.Result tb = cli("train-teacher", b, List.of("data.scaling=standard", "data.validation-fraction=0.3"));
        assertEquals(0, tb.exit(), tb::toString);
        String hashA = scalingHash(a.resolve("teacher"));
        String hashB = scalingHash(b.resolve("teacher"));
        assertNotEquals(hashA, hashB);

        Cli.Result r = cli("evaluate", a, List.of("data.scaling=standard"), "--model",
                "teacher=" + a.resolve("teacher"), "--model", "other=" + b.resolve("teacher"));
        observe("model made with other scaling statistics", "evaluate a teacher and another model whose features "
                        + "were scaled with statistics fitted on other rows", "names the other model and both "
                        + "statistics' hashes", r, Files.exists(a.resolve("evaluation")), true);
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(b.resolve("teacher").toString()) && error.contains(hashA)
                && error.contains(hashB), error);
        assertFalse(Files.exists(a.resolve("evaluation")));
    }

    @Test
    void unknownKeyOverride() {
        Path runDir = base.resolve("run-unknown-key");
        Cli.Result r = cli("train-teacher", runDir, List.of("teacher.modle.layers=[{units=8}]"));
        observe("unknown config key (-P)", "train-teacher -P teacher.modle.layers=[...] (a typo)",
                "names distillery.teacher.modle.layers", r, Files.exists(runDir), true);
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
        observe("unknown config key (file)", "train-teacher with a config file that sets distillery.foo",
                "names distillery.foo and the file", r, Files.exists(runDir), true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.foo") && r.error().contains("unknown-key.conf"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void sweepWithoutAStore() {
        Path runDir = base.resolve("run-sweep-no-store");
        Cli.Result r = cli("sweep", runDir, List.of());
        observe("sweep without a soft-target store", "sweep before train-teacher and soft-targets",
                "names the store's path and soft-targets", r, Files.exists(runDir.resolve("sweep")), true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains(runDir.resolve("soft-targets").toString())
                && r.error().contains("run soft-targets first"), r.error());
        assertFalse(Files.exists(runDir.resolve("sweep")));
    }

    @Test
    void sweepWidthNotPositive() {
        Path runDir = base.resolve("run-sweep-width");
        Cli.Result r = cli("sweep", runDir, List.of("sweep.widths=[1, 0]"));
        observe("sweep width not positive", "sweep -P sweep.widths=[1, 0]",
                "names distillery.sweep.widths and its value", r, Files.exists(runDir), true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.sweep.widths") && r.error().contains("[1.0, 0.0]"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void wrongTypeOverride() {
        Path runDir = base.resolve("run-wrong-type");
        Cli.Result r = cli("train-teacher", runDir, List.of("teacher.train.epochs=many"));
        observe("wrong config type", "train-teacher -P teacher.train.epochs=many",
                "names distillery.teacher.train.epochs and 'many'", r, Files.exists(runDir), true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.teacher.train.epochs") && r.error().contains("many"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void gateNamesAnUnknownModel() {
        Path runDir = base.resolve("run-gate-unknown-model");
        // An unreachable master: refused before any Spark session, so the answer is the gate's sentence.
        List<String> args = new ArrayList<>(List.of(Cli.args("evaluate", Cli.offlineConf(), overrides(shared,
                List.of("evaluate.path=" + Cli.quoted(runDir.resolve("evaluation")),
                        "evaluate.gate.min-accuracy.studnet=0.7")))));
        args.set(args.indexOf("local[2]"), "spark://127.0.0.1:9");
        Cli.Result r = Cli.run(args.toArray(new String[0]));
        observe("gate threshold for an unknown model", "evaluate -P evaluate.gate.min-accuracy.studnet=0.7 (a typo)",
                "names the key, 'studnet' and the models there are, before any Spark job", r, Files.exists(runDir),
                true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.evaluate.gate.min-accuracy.studnet")
                && r.error().contains("[teacher, student, baseline]"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void gateThresholdOutOfRange() {
        Path runDir = base.resolve("run-gate-range");
        Cli.Result r = cli("evaluate", shared, List.of("evaluate.path=" + Cli.quoted(runDir.resolve("evaluation")),
                "evaluate.gate.max-accuracy-drop.student=2"));
        observe("gate threshold out of range", "evaluate -P evaluate.gate.max-accuracy-drop.student=2 (points, "
                + "not a fraction)", "names the key and 2.0", r, Files.exists(runDir), true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.evaluate.gate.max-accuracy-drop.student is 2.0; it must be in "
                + "[0, 1]"), r.error());
        assertFalse(Files.exists(runDir));
    }

    @Test
    void outputPathExists() {
        Map<String, String> before = Cli.snapshot(shared.resolve("teacher"));
        Cli.Result r = cli("train-teacher", shared, List.of());
        boolean unchanged = before.equals(Cli.snapshot(shared.resolve("teacher")));
        observe("output path exists", "train-teacher again onto a committed teacher, without --overwrite",
                "names the path and --overwrite; the existing teacher untouched", r, !unchanged, true);
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(shared.resolve("teacher").toString()) && error.contains("--overwrite"), error);
        assertEquals(before, Cli.snapshot(shared.resolve("teacher")));
    }

    @Test
    void teacherClassCountDiffersFromConfig() {
        Path runDir = base.resolve("run-teacher-classes");
        Cli.copyTree(shared.resolve("teacher"), runDir.resolve("teacher"));
        Map<String, String> before = Cli.snapshot(runDir.resolve("teacher"));
        Cli.Result r = cli("soft-targets", runDir, List.of("data.num-classes=12"));
        observe("teacher and student class counts differ", "soft-targets with a 10-class teacher and "
                + "data.num-classes = 12 (the student's)", "names the teacher, its 10 classes and 12", r,
                Files.exists(runDir.resolve("soft-targets")), before.equals(Cli.snapshot(runDir.resolve("teacher"))));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains(runDir.resolve("teacher").toString()) && r.error().contains("10 output classes")
                && r.error().contains("distillery.data.num-classes is 12"), r.error());
        assertFalse(Files.exists(runDir.resolve("soft-targets")));
    }

    /**
     * Runs {@code soft-targets} with a copy of the committed ONNX model {@code model} as the teacher and checks the
     * contract: exit 2, one sentence naming the model and containing every {@code expected} fragment, no store, the
     * model unchanged.
     */
    private static void refusedOnnxTeacher(String testCase, String done, String model, List<String> more,
                                           java.util.function.Consumer<Path> damage, String... expected)
            throws IOException {
        Path runDir = base.resolve("run-onnx-" + testCase.replace(' ', '-'));
        Files.createDirectories(runDir);
        Path teacher = runDir.resolve("teacher.onnx");
        Files.copy(io.distillery.testing.OnnxFixtures.file(model), teacher);
        damage.accept(teacher);
        String before = Cli.sha256(teacher);
        List<String> o = new ArrayList<>(List.of("teacher.path=" + Cli.quoted(teacher)));
        o.addAll(more);
        Cli.Result r = cli("soft-targets", runDir, o);
        observe(testCase, done, "names the ONNX model and " + String.join(", ", expected), r,
                Files.exists(runDir.resolve("soft-targets")), before.equals(Cli.sha256(teacher)));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains(teacher.toString()), "the model is not named: " + error);
        for (String e : expected) {
            assertTrue(error.contains(e), "'" + e + "' is not in: " + error);
        }
        assertFalse(Files.exists(runDir.resolve("soft-targets")), "a store was written");
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        assertEquals(before, Cli.sha256(teacher), "the model changed");
    }

    @Test
    void onnxTeacherInputWidthDiffersFromData() throws IOException {
        refusedOnnxTeacher("ONNX teacher input width differs", "soft-targets with a 4-feature ONNX teacher on the "
                + "784-feature sample", "narrow-10.onnx", List.of("soft-targets.taps=[hidden]"), p -> { },
                "reads 4 input features per row but the training data has 784");
    }

    @Test
    void onnxTeacherLogitsWidthDiffersFromClassCount() throws IOException {
        refusedOnnxTeacher("ONNX teacher class count differs", "soft-targets with an ONNX teacher whose logits are 4 "
                + "wide, data.num-classes = 10", "sample-4.onnx", List.of("soft-targets.taps=[hidden]"), p -> { },
                "has 4 classes (output 'logits' is 4 wide) but distillery.data.num-classes is 10");
    }

    @Test
    void onnxTeacherUnknownTap() throws IOException {
        refusedOnnxTeacher("ONNX teacher unknown tap", "soft-targets with taps = [h1] on an ONNX teacher without such "
                + "an output", "sample-10.onnx", List.of(), p -> { },
                "Feature tap [h1] names no output of ONNX teacher", "[logits, probabilities, hidden]");
    }

    @Test
    void corruptOnnxTeacher() throws IOException {
        refusedOnnxTeacher("corrupt ONNX teacher", "soft-targets with an .onnx file cut to half its length",
                "sample-10.onnx", List.of("soft-targets.taps=[hidden]"), p -> {
                    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                        f.setLength(f.length() / 2);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, "cannot be loaded by ONNX Runtime");
    }

    @Test
    void exportOfAnUnsupportedLayer() {
        Path model = base.resolve("batch-norm-model");
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net = new org.deeplearning4j.nn.multilayer
                .MultiLayerNetwork(new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().list()
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nOut(8).name("h1").build())
                .layer(new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().name("bn").build())
                .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(10).name("output").build())
                .setInputType(org.deeplearning4j.nn.conf.inputs.InputType.feedForward(WIDTH)).build());
        net.init();
        io.distillery.model.ModelArtifact.save(io.distillery.store.ArtifactFiles.local(), net, model.toString(),
                new io.distillery.provenance.Provenance("test", "now", Map.of(), 1, "", List.of(), Map.of()), false);
        Map<String, String> before = Cli.snapshot(model);
        Path output = base.resolve("batch-norm.onnx");
        Cli.Result r = Cli.run("export-onnx", "--model", model.toString(), "--output", output.toString());
        observe("export of an unsupported layer", "export-onnx of a network with a BatchNormalization layer",
                "names the layer and its type", r, Files.exists(output), before.equals(Cli.snapshot(model)));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("Layer 'bn' is a BatchNormalization, which the ONNX exporter does not "
                + "support"), r.error());
        assertFalse(Files.exists(output));
        assertEquals(List.of(), Cli.leftoverTemps(base));
    }

    @Test
    void unreachableMaster() throws IOException {
        Path runDir = base.resolve("run-unreachable");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();  // free once closed: nothing listens there
        }
        String master = "spark://127.0.0.1:" + port;
        String[] args = Cli.args("train-teacher", Cli.offlineConf(), overrides(runDir, List.of()));
        args[3] = master;  // in place of Cli.args' local[2]
        Cli.Result r = Cli.run(args);
        observe("unreachable master", "train-teacher --master " + master.replace(Integer.toString(port), "<free port>")
                        + " (nothing listens there)", "names the master URL and the connection failure, at once",
                r, Files.exists(runDir), true);
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains(master) && r.error().contains("unreachable"), r.error());
        assertTrue(r.seconds() < 30, "took " + r.seconds() + " s");
        assertFalse(Files.exists(runDir));
    }

    /** Writes a CSV fixture of 20 rows, label {@code i mod 10} first, then 5 features, as {@code base/dir/file}. */
    private static void writeCsv(String dir, String file, String delimiter, java.util.function.IntFunction<String> cell)
            throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            List<String> fields = new ArrayList<>(List.of(Integer.toString(i % 10)));
            for (int j = 0; j < 5; j++) {
                fields.add(j == 2 ? cell.apply(i) : Float.toString(new Random(i * 5L + j).nextFloat()));
            }
            text.append(String.join(delimiter, fields)).append('\n');
        }
        Path d = base.resolve(dir);
        Files.createDirectories(d);
        byte[] bytes = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.io.OutputStream out = file.endsWith(".gz")
                ? new java.util.zip.GZIPOutputStream(Files.newOutputStream(d.resolve(file)))
                : Files.newOutputStream(d.resolve(file))) {
            out.write(bytes);
        }
    }

    @Test
    void csvLabelPositionOutOfRange() throws IOException {
        writeCsv("csv-six-columns", "part-0.csv", ";", i -> "0.5");
        refusedTraining("CSV label position out of range", "csv-six-columns",
                List.of("data.format=csv", "data.csv.header=false", "data.csv.delimiter=\";\"", "data.label-index=6"),
                "distillery.data.label-index is 6", "6 columns [_c0, _c1, _c2, _c3, _c4, _c5]",
                "positions 0 to 5");
    }

    @Test
    void csvFeatureColumnNotNumeric() throws IOException {
        writeCsv("csv-text-value", "part-0.csv.gz", ",", i -> i == 13 ? "n/a" : "0.5");
        refusedTraining("CSV feature column not numeric", "csv-text-value",
                List.of("data.format=csv", "data.csv.header=false", "data.label-index=0"),
                "Column '_c3'", "not numeric", "string", "the value 'n/a'", "distillery.data.feature-columns");
    }
}
