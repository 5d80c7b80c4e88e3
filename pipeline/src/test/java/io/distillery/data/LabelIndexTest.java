package io.distillery.data;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** String labels read from CSV, indexed alphabetically, mapped, recorded as facts, and unknown names refused. */
class LabelIndexTest {
    private static SparkSession spark;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = TestSupport.spark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Dataset<Row> csv(String name, String... labels) throws IOException {
        StringBuilder text = new StringBuilder("label,a,b\n");
        for (int i = 0; i < labels.length; i++) {
            text.append('"').append(labels[i]).append("\",").append(i).append(",0.5\n");
        }
        Path file = dir.resolve(name + ".csv");
        Files.writeString(file, text);
        DataSpec spec = new DataSpec("t", "t", "csv", "id", "label", "features", List.of(), 0, List.of(), List.of());
        return DatasetReader.read(spark, spec, file.toString());
    }

    @Test
    void namesAreIndexedAlphabeticallyAndMapped() throws IOException {
        Dataset<Row> raw = csv("train", "Trouser", "T-shirt/top", "Bag", "Trouser", "Ankle boot", "Bag");
        assertTrue(LabelIndex.hasStringLabels(raw));
        LabelIndex index = LabelIndex.fit(raw, "train");
        assertEquals(List.of("Ankle boot", "Bag", "T-shirt/top", "Trouser"), index.names());
        assertEquals(4, index.count());
        // The order does not depend on the rows' order or frequencies.
        assertEquals(index, LabelIndex.fit(raw.orderBy(raw.col("id").desc()), "train"));
        Dataset<Row> mapped = index.apply(raw, "train", "the teacher");
        assertFalse(LabelIndex.hasStringLabels(mapped));
        List<Integer> labels = mapped.orderBy("id").select("label").as(org.apache.spark.sql.Encoders.INT())
                .collectAsList();
        assertEquals(List.of(3, 2, 1, 3, 0, 1), labels);
        assertEquals(4, DatasetValidator.validate(mapped, new DataSpec("t", "t", "csv", "id", "label", "features",
                List.of(), 4, List.of(), List.of()), "train"));
    }

    @Test
    void factsRoundTrip() {
        LabelIndex index = LabelIndex.named(List.of("b, with comma", "a \"quoted\"", "c/slash"));
        Provenance p = new Provenance("train-teacher", "now", Map.of(), 1, "{}", List.of(),
                Map.of(LabelIndex.NAMES_FACT, index.facts().get(LabelIndex.NAMES_FACT), LabelIndex.COUNT_FACT, "3"));
        assertEquals(index, LabelIndex.fromFacts(p, 0));
        assertEquals(Map.of(), LabelIndex.integers(10).facts(), "integer labels add no facts");
        Provenance integer = new Provenance("train-teacher", "now", Map.of(), 1, "{}", List.of(),
                Map.of(LabelIndex.COUNT_FACT, "10"));
        assertEquals(LabelIndex.integers(10), LabelIndex.fromFacts(integer, 0));
    }

    @Test
    void anUnknownClassNameIsRefusedNamingItAndThePath() throws IOException {
        LabelIndex index = LabelIndex.named(List.of("Bag", "Trouser"));
        Dataset<Row> test = csv("test", "Bag", "Sandal", "Trouser", "Sandal");
        String m = assertThrows(DistilleryException.class, () -> index.apply(test, "/data/test", "the teacher at /t"))
                .getMessage();
        assertTrue(m.contains("'Sandal'") && m.contains("/data/test") && m.contains("2 rows")
                && m.contains("the teacher at /t"), m);
    }

    @Test
    void labelsOfTheOtherKindAreRefused() throws IOException {
        Dataset<Row> strings = csv("kinds", "Bag", "Trouser");
        String m = assertThrows(DistilleryException.class, () -> LabelIndex.integers(10).apply(strings, "/d", "it"))
                .getMessage();
        assertTrue(m.contains("string labels") && m.contains("/d"), m);
        Dataset<Row> integers = strings.withColumn("label", org.apache.spark.sql.functions.lit(1));
        assertSame(integers, LabelIndex.integers(10).apply(integers, "/d", "it"));
        assertThrows(DistilleryException.class, () -> LabelIndex.named(List.of("a", "b")).apply(integers, "/d", "x"));
    }
}
