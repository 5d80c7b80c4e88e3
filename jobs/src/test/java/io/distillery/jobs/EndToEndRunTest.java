package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import io.distillery.testing.HeadlessChromium;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.size;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code distill run} on the committed Fashion-MNIST sample: every artifact committed and consistent, the distilled
 * student well above chance, a re-run skips every stage, and a changed setting is refused until {@code --overwrite},
 * which redoes only the affected stages.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndRunTest {
    private static final int TAP_WIDTH = 64;

    @TempDir
    static Path runDir;
    @TempDir
    static Path sweepDir;
    private static Map<String, String> afterFirstRun;

    private static List<String> overrides(String... more) {
        List<String> o = new ArrayList<>(List.of(
                "run-dir=" + Cli.quoted(runDir),
                "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "teacher.model.layers=[{type=dense,name=h1,units=" + TAP_WIDTH + "}]",
                "teacher.train.epochs=3",
                "student.train.epochs=3",
                "soft-targets.taps=[h1]"));
        o.addAll(Arrays.asList(more));
        return o;
    }

    private static Cli.Result run(List<String> overrides, String... flags) {
        return Cli.run(Cli.args("run", Cli.offlineConf(), overrides, flags));
    }

    private static Path dir(String name) {
        return runDir.resolve(name);
    }

    @Test
    @Order(1)
    void firstRunCommitsEveryArtifact() throws IOException {
        Cli.Result r = run(overrides());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("student"), r.out());

        for (String stage : List.of("teacher", "soft-targets", "student", "baseline", "evaluation")) {
            assertTrue(Files.isRegularFile(dir(stage).resolve(ArtifactFiles.SUCCESS)), stage + " has no _SUCCESS");
            assertTrue(Files.isRegularFile(dir(stage).resolve(ArtifactFiles.METADATA)), stage + " has no metadata");
        }
        for (String model : List.of("teacher", "student", "baseline")) {
            assertTrue(Files.size(dir(model).resolve("model.zip")) > 0, model);
            // history.json: one entry per epoch trained, as metadata.json counts them.
            Map<String, Object> history = ProvenanceJson.mapper().readValue(
                    dir(model).resolve("history.json").toFile(), new TypeReference<>() {
                    });
            List<?> epochs = (List<?>) history.get("epochs");
            String trained = ArtifactFiles.local().readProvenance(dir(model).toString()).fact("epochs-trained");
            assertEquals(Integer.parseInt(trained), epochs.size(), model + " history " + history);
            assertEquals(Integer.parseInt(trained), history.get("epochsTrained"), model);
        }
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        try (Stream<Path> s = Files.list(runDir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("baseline", "evaluation", "soft-targets", "student", "teacher"), names,
                    "checkpoints or temporaries left in the run directory");
        }

        // The store's provenance names the teacher by the SHA-256 of its zip.
        ArtifactFiles files = ArtifactFiles.local();
        Provenance store = files.readProvenance(dir("soft-targets").toString());
        assertEquals(Cli.sha256(dir("teacher").resolve("model.zip")), store.fact("teacher-hash"));
        assertEquals("10", store.fact("num-classes"));
        assertEquals("784", store.fact("input-width"));
        assertEquals("h1", store.fact("taps"));
        Provenance student = files.readProvenance(dir("student").toString());
        assertEquals(store.fact("teacher-hash"), student.fact("teacher-hash"));

        // metrics.json: teacher, student and baseline, the distilled student far above chance.
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                dir("evaluation").resolve("metrics.json").toFile(), new TypeReference<>() {
                });
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) metrics.get("models");
        assertEquals(List.of("teacher", "student", "baseline"), new ArrayList<>(models.keySet()));
        for (String m : models.keySet()) {
            double acc = ((Number) models.get(m).get("accuracy")).doubleValue();
            System.out.printf("%s accuracy %.4f%n", m, acc);
            assertTrue(acc > 0.5, m + " accuracy " + acc);
        }

        checkStore();
        afterFirstRun = Cli.snapshot(runDir);
    }

    /**
     * The first run's report.html in a real headless Chromium: every chart loaded, one table row per model of
     * metrics.json, the confusion matrix and the reliability bins present; the screenshot goes to
     * {@code jobs/target/report-sample.png} (deploy/report/README.md says how it becomes the committed one).
     */
    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void theReportOpensInARealBrowser() throws Exception {
        Path report = dir("evaluation").resolve("report.html");
        assertTrue(Files.isRegularFile(report), "no report.html beside metrics.json");
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                dir("evaluation").resolve("metrics.json").toFile(), new TypeReference<>() {
                });
        Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) metrics.get("models");
        for (Map<String, Object> m : models.values()) {
            assertEquals(10, ((List<?>) m.get("confusionMatrix")).size());
            List<Map<String, Object>> bins = (List<Map<String, Object>>) m.get("reliability");
            assertEquals(((Number) m.get("eceBins")).intValue(), bins.size());
            assertEquals(((Number) m.get("count")).longValue(),
                    bins.stream().mapToLong(b -> ((Number) b.get("count")).longValue()).sum());
        }
        String html = Files.readString(report);
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("src=\"file:"),
                "the report refers to an external resource");
        try (HeadlessChromium browser = HeadlessChromium.start(1280, 900)) {
            browser.open(report);
            List<List<Object>> images = (List<List<Object>>) browser.script(
                    "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]);");
            assertTrue(images.size() >= 4, "charts in the page: " + images);
            for (List<Object> img : images) {
                assertEquals(true, img.get(1), "image not loaded: " + img);
                assertTrue(((Number) img.get(2)).intValue() > 0, "image without pixels: " + img);
            }
            List<String> rows = (List<String>) browser.script("return Array.from(document.querySelectorAll("
                    + "'#comparison tbody tr')).map(r => r.cells[0].textContent);");
            assertEquals(new ArrayList<>(models.keySet()), rows);
            Number confusionRows = (Number) browser.script(
                    "return document.querySelectorAll('#confusion tr').length;");
            assertEquals(11, confusionRows.intValue(), "header and one row per class");
            int height = ((Number) browser.script("return document.documentElement.scrollHeight;")).intValue();
            browser.resize(1280, Math.min(height + 40, 8000));
            Path shot = Cli.repo().resolve("jobs/target/report-sample.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, browser.screenshot());
            System.out.println("report screenshot: " + shot);
        }
    }

    /**
     * {@code sweep} from the first run's store: a 2 x 2 grid of student sizes (2-epoch students) distilled and
     * evaluated with the teacher, the report's Pareto plots loaded in Chromium; a second sweep skips every size.
     * The sweep lives outside the run directory, which the next tests compare with its first state.
     */
    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void aSweepDistilsEverySizeFromTheStoreAndPlotsItsParetoFronts() throws Exception {
        List<String> o = overrides("sweep.path=" + Cli.quoted(sweepDir), "sweep.widths=[0.5, 2]",
                "sweep.depths=[1, 2]", "student.train.epochs=2");
        Cli.Result r = Cli.run(Cli.args("sweep", Cli.offlineConf(), o));
        assertEquals(0, r.exit(), r::toString);
        List<String> points = List.of("w0.5-d1", "w0.5-d2", "w2-d1", "w2-d2");
        Path evaluation = sweepDir.resolve("evaluation");
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(evaluation.resolve("metrics.json").toFile(),
                new TypeReference<>() {
                });
        assertEquals(points, metrics.get("sweep"));
        Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) metrics.get("models");
        List<String> expected = new ArrayList<>(List.of("teacher"));
        expected.addAll(points);
        assertEquals(expected, new ArrayList<>(models.keySet()));
        // 784 inputs, 10 classes: width 0.5 of the 32-unit student is 16 units; depth 2 adds a 16 x 16 layer.
        assertEquals(784 * 16 + 16 + 16 * 10 + 10, ((Number) models.get("w0.5-d1").get("parameters")).longValue());
        assertEquals(784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10,
                ((Number) models.get("w0.5-d2").get("parameters")).longValue());
        for (String p : points) {
            Provenance student = ArtifactFiles.local().readProvenance(sweepDir.resolve(p).toString());
            assertEquals(Cli.sha256(dir("teacher").resolve("model.zip")), student.fact("teacher-hash"), p);
            // Two epochs of a small student: well above chance (0.1), not yet near the 3-epoch student.
            assertTrue(((Number) models.get(p).get("accuracy")).doubleValue() > 0.2, p + " " + models.get(p));
        }
        try (HeadlessChromium browser = HeadlessChromium.start(1280, 900)) {
            browser.open(evaluation.resolve("report.html"));
            List<List<Object>> images = (List<List<Object>>) browser.script(
                    "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]);");
            List<Object> alts = images.stream().map(i -> i.get(0)).toList();
            assertTrue(alts.contains("accuracy against parameters") && alts.contains("accuracy against rows per "
                    + "second"), "sweep plots: " + alts);
            for (List<Object> img : images) {
                assertTrue(Boolean.TRUE.equals(img.get(1)) && ((Number) img.get(2)).intValue() > 0, "not loaded: "
                        + img);
            }
            Number rows = (Number) browser.script("return document.querySelectorAll('#sweep tr').length;");
            assertEquals(points.size() + 1, rows.intValue(), "header and one row per size");
            int height = ((Number) browser.script("return document.documentElement.scrollHeight;")).intValue();
            browser.resize(1280, Math.min(height + 40, 8000));
            Files.write(Cli.repo().resolve("jobs/target/report-sweep.png"), browser.screenshot());
        }
        Map<String, String> done = Cli.snapshot(sweepDir);
        Cli.Result again = Cli.run(Cli.args("sweep", Cli.offlineConf(), o));
        assertEquals(0, again.exit(), again::toString);
        assertEquals(done, Cli.snapshot(sweepDir), "an up-to-date sweep redid a size");
    }

    /** Schema, widths and one row per input id, read with a session of our own (the CLI's is stopped). */
    private static void checkStore() throws IOException {
        try (Stream<Path> s = Files.list(dir("soft-targets"))) {
            assertFalse(s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList().isEmpty());
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("EndToEndRunTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        try {
            Dataset<Row> store = spark.read().option("pathGlobFilter", "*.parquet")
                    .parquet(dir("soft-targets").toString());
            DataType floats = DataTypes.createArrayType(DataTypes.FloatType);
            List<String> names = Arrays.stream(store.schema().fields()).map(StructField::name).toList();
            assertEquals(List.of("id", "label", "features", "teacher_logits", "tap_h1"), names);
            assertEquals(DataTypes.LongType, store.schema().apply("id").dataType());
            assertEquals(DataTypes.IntegerType, store.schema().apply("label").dataType());
            for (String c : List.of("features", "teacher_logits", "tap_h1")) {
                DataType t = store.schema().apply(c).dataType();
                assertTrue(t instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType),
                        c + " is " + t.simpleString() + ", expected " + floats.simpleString());
            }
            Row w = store.agg(min(size(col("features"))), max(size(col("features"))),
                    min(size(col("teacher_logits"))), max(size(col("teacher_logits"))),
                    min(size(col("tap_h1"))), max(size(col("tap_h1")))).head();
            assertEquals(List.of(784, 784, 10, 10, TAP_WIDTH, TAP_WIDTH),
                    List.of(w.getInt(0), w.getInt(1), w.getInt(2), w.getInt(3), w.getInt(4), w.getInt(5)));

            Dataset<Row> input = spark.read().parquet(Cli.sampleTrain().toString());
            assertEquals(3000, store.count());
            assertEquals(3000, store.select("id").distinct().count());
            Dataset<Row> storeIds = store.select("id", "label");
            Dataset<Row> inputIds = input.select(col("id").cast("long"), col("label").cast("int"));
            assertEquals(0, storeIds.except(inputIds).count(), "store rows whose id/label is not in the input");
            assertEquals(0, inputIds.except(storeIds).count(), "input rows missing from the store");
        } finally {
            spark.stop();
        }
    }

    @Test
    @Order(4)
    void secondRunSkipsEveryStage() {
        Cli.Result r = run(overrides());
        assertEquals(0, r.exit(), r::toString);
        assertEquals(afterFirstRun, Cli.snapshot(runDir), "a stage was redone");
        System.out.printf("second run: %.1f s%n", r.seconds());
        assertTrue(r.seconds() < 60, "an up-to-date run took " + r.seconds() + " s");
    }

    @Test
    @Order(5)
    void changedTemperatureIsRefusedThenRedoneWithOverwrite() {
        Cli.Result refused = run(overrides("distill.temperature=2"));
        assertEquals(2, refused.exit(), refused::toString);
        String error = refused.error();
        assertTrue(error.contains("Stage distill") && error.contains(dir("student").toString())
                && error.contains("--overwrite"), error);
        assertEquals(afterFirstRun, Cli.snapshot(runDir), "a refused run changed artifacts");

        Cli.Result redone = run(overrides("distill.temperature=2"), "--overwrite");
        assertEquals(0, redone.exit(), redone::toString);
        Map<String, String> after = Cli.snapshot(runDir);
        for (Map.Entry<String, String> e : afterFirstRun.entrySet()) {
            String file = e.getKey();
            // The temperature does not change the baseline's objective (alpha = 0), so it is kept too.
            if (file.startsWith("teacher/") || file.startsWith("soft-targets/") || file.startsWith("baseline/")) {
                assertEquals(e.getValue(), after.get(file), file + " was rewritten");
            }
        }
        for (String redoneFile : List.of("student/model.zip", "student/metadata.json", "evaluation/metrics.json")) {
            assertNotEquals(afterFirstRun.get(redoneFile), after.get(redoneFile), redoneFile + " was not redone");
        }
        assertNotEquals(Cli.sha256(dir("student").resolve("model.zip")),
                afterFirstRun.get("student/model.zip").split(" ")[2]);
        assertEquals(List.of(), Cli.leftoverTemps(runDir));

        // And the new settings are now up to date.
        Map<String, String> now = Cli.snapshot(runDir);
        Cli.Result again = run(overrides("distill.temperature=2"));
        assertEquals(0, again.exit(), again::toString);
        assertEquals(now, Cli.snapshot(runDir));
    }
}
