package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.data.LabelIndex;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.testing.Cli;
import io.distillery.testing.LocalSparkForJobs;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * String labels through every offline stage: the Fashion-MNIST sample with its class names instead of integers,
 * indexed alphabetically by train-teacher, carried by the store, the student and the baseline, and back as names in
 * metrics.json and the printed table. {@code data.num-classes} is left at 0 (from the data).
 */
class StringLabelsTest {
    /** Fashion-MNIST's classes in the order of its integer labels (not alphabetical). */
    static final List<String> FASHION = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
            "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final List<String> ALPHABETICAL = List.of("Ankle boot", "Bag", "Coat", "Dress", "Pullover", "Sandal",
            "Shirt", "Sneaker", "T-shirt/top", "Trouser");

    @TempDir
    static Path base;
    private static Path train;
    private static Path test;

    @BeforeAll
    static void writeStringLabelledSample() {
        train = base.resolve("train");
        test = base.resolve("test");
        SparkSession spark = LocalSparkForJobs.session();
        try {
            named(spark.read().parquet(Cli.sampleTrain().toString()).orderBy("id").limit(400)).coalesce(2)
                    .write().parquet(train.toString());
            named(spark.read().parquet(Cli.sampleTest().toString()).orderBy("id").limit(200)).coalesce(1)
                    .write().parquet(test.toString());
        } finally {
            spark.stop();
        }
    }

    /** The rows with their integer label replaced by the Fashion-MNIST class name. */
    static Dataset<Row> named(Dataset<Row> rows) {
        org.apache.spark.sql.Column names = org.apache.spark.sql.functions.array(FASHION.stream().map(n -> lit(n))
                .toArray(org.apache.spark.sql.Column[]::new));
        return rows.withColumn("label", element_at(names, col("label").plus(1)));
    }

    private static List<String> overrides(Path runDir) {
        List<String> o = new ArrayList<>(List.of("run-dir=" + Cli.quoted(runDir), "data.train=" + Cli.quoted(train),
                "data.test=" + Cli.quoted(test), "data.num-classes=0", "student.train.epochs=1",
                "soft-targets.taps=[h1]"));
        o.addAll(Cli.tinyTeacher(16));
        return o;
    }

    private static void ok(String command, Path runDir, String... flags) {
        Cli.Result r = Cli.run(Cli.args(command, Cli.offlineConf(), overrides(runDir), flags));
        assertEquals(0, r.exit(), r::toString);
    }

    private static Provenance provenance(Path dir) throws IOException {
        return ProvenanceJson.fromJson(Files.readString(dir.resolve("metadata.json")), dir.toString());
    }

    @Test
    void classNamesGoThroughEveryStageAndBackIntoTheMetrics() throws IOException {
        Path run = base.resolve("run");
        ok("train-teacher", run);
        ok("soft-targets", run);
        ok("distill", run);
        ok("distill", run, "--baseline");
        ok("evaluate", run);

        for (String artifact : List.of("teacher", "soft-targets", "student", "baseline")) {
            Provenance p = provenance(run.resolve(artifact));
            assertEquals(ALPHABETICAL, LabelIndex.fromFacts(p, 0).names(), artifact);
            assertEquals("10", p.fact("num-classes"), artifact);
        }
        // The store's labels are the alphabetical indices of the names.
        SparkSession spark = LocalSparkForJobs.session();
        Map<Long, Integer> stored = new HashMap<>();
        Map<Long, String> given = new HashMap<>();
        try {
            spark.read().option("pathGlobFilter", "*.parquet").parquet(run.resolve("soft-targets").toString())
                    .select("id", "label").collectAsList().forEach(r -> stored.put(r.getLong(0), r.getInt(1)));
            spark.read().parquet(train.toString()).select("id", "label").collectAsList()
                    .forEach(r -> given.put(r.getLong(0), r.getString(1)));
        } finally {
            spark.stop();
        }
        assertEquals(given.keySet(), stored.keySet());
        given.forEach((id, name) -> assertEquals(ALPHABETICAL.indexOf(name), stored.get(id), "row " + id));

        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                Files.readString(run.resolve("evaluation/metrics.json")), new TypeReference<>() {
                });
        assertEquals(ALPHABETICAL, metrics.get("classNames"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) metrics.get("models");
        assertEquals(List.of("teacher", "student", "baseline"), List.copyOf(models.keySet()));
        for (Map<String, Object> m : models.values()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> byName = (Map<String, Object>) m.get("perClassAccuracyByName");
            assertEquals(ALPHABETICAL, List.copyOf(byName.keySet()));
            assertEquals(m.get("perClassAccuracy"), List.copyOf(byName.values()));
        }
        String table = Reports.table(metrics, Map.of());
        for (String name : ALPHABETICAL) {
            assertTrue(table.lines().anyMatch(l -> l.startsWith(name + " ")), name + " not in:\n" + table);
        }
        assertTrue(table.contains("class") && table.contains("baseline"), table);
    }

    @Test
    void codistillWithoutATeacherIndexesTheDataItself() throws IOException {
        Path run = base.resolve("run-codistill");
        List<String> o = new ArrayList<>(overrides(run));
        o.addAll(List.of("student.model.layers=[{type=dense,name=hidden1,units=8}]", "codistill.teacher-weight=0",
                "codistill.burn-in=0"));
        Cli.Result r = Cli.run(Cli.args("codistill", Cli.repo().resolve("conf/fashion-mnist-codistill.conf"), o));
        assertEquals(0, r.exit(), r::toString);
        for (String model : List.of("a", "b")) {
            Provenance p = provenance(run.resolve("codistill/" + model));
            assertEquals(ALPHABETICAL, LabelIndex.fromFacts(p, 0).names(), model);
        }
    }
}
