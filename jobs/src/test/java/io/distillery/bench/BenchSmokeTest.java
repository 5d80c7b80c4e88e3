package io.distillery.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distillery.cli.DistillCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code distill bench} at a tiny size (512 sample rows, one repeat, one thread setting, two small students) on
 * {@code local[2]}, with a small teacher: it runs through the CLI and reports every figure, finite and positive.
 * Speed is not checked.
 */
class BenchSmokeTest {

    /** The repository root: the first ancestor of the working directory holding the sample config. */
    private static File root() {
        for (File d = new File(System.getProperty("user.dir")).getAbsoluteFile(); d != null; d = d.getParentFile()) {
            if (new File(d, "conf/fashion-mnist-offline.conf").isFile()) {
                return d;
            }
        }
        throw new IllegalStateException("conf/fashion-mnist-offline.conf not found above "
                + System.getProperty("user.dir"));
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void benchReportsEveryFigure(@TempDir Path dir) throws Exception {
        File root = root();
        File out = dir.resolve("bench.json").toFile();
        int code = DistillCli.execute("bench",
                "--config", new File(root, "conf/fashion-mnist-offline.conf").getPath(),
                // A small teacher keeps the test short; its tap layer keeps the config's name.
                "-P", "teacher.model.layers=[{type=dense,name=hidden2,units=64}]",
                "--data", new File(root, "data-samples/fashion-mnist/train").getPath(),
                "--rows", "512", "--repeats", "1", "--master", "local[2]", "--task-threads", "default",
                "--infer-batch-size", "128", "--batch-size", "32", "--averaging-frequency", "2",
                "--student", "32", "--student", "64,64",
                "--work-dir", dir.resolve("work").toString(), "--out", out.getPath());
        assertEquals(0, code);

        JsonNode json = new ObjectMapper().readTree(out);
        assertEquals(512, json.get("settings").get("rows").asLong());
        assertTrue(json.get("machine").get("availableProcessors").asInt() > 0);
        assertTrue(json.get("machine").get("nd4j backend").asText().length() > 0);
        assertEquals("local[2]", json.get("machine").get("spark master").asText());

        JsonNode ms = json.get("measurements");
        // Soft targets: job, core, core into a no-op sink, plain; per student: ours, plain, dl4j.
        assertEquals(4 + 2 * 3, ms.size());
        Set<String> names = new HashSet<>();
        for (JsonNode m : ms) {
            names.add(m.get("section").asText() + "/" + m.get("name").asText().split(":")[0]);
            assertEquals(512, m.get("rows").asLong(), m.toString());
            assertEquals(1, m.get("seconds").size(), m.toString());
            positive(m.get("seconds").get(0).asDouble(), m);
            positive(m.get("rows_per_second").get(0).asDouble(), m);
            positive(m.get("median_seconds").asDouble(), m);
            positive(m.get("median_rows_per_second").asDouble(), m);
        }
        assertEquals(Set.of("soft-targets/ours", "soft-targets/plain", "training/ours", "training/plain",
                "training/dl4j"), names);

        JsonNode ratios = json.get("ratios");
        // Soft targets: job, core and no-op sink / plain; per student: ours / plain, dl4j / plain.
        assertEquals(3 + 2 * 2, ratios.size());
        for (JsonNode r : ratios) {
            positive(r.get("value").asDouble(), r);
            positive(r.get("min").asDouble(), r);
            assertTrue(r.get("min").asDouble() <= r.get("max").asDouble(), r::toString);
        }
        // A smoke run's timed runs last well under 10 s: the report must not pass them off as reliable.
        assertTrue(json.get("unreliable").size() > 0, json::toString);
    }

    private static void positive(double v, JsonNode where) {
        assertTrue(Double.isFinite(v) && v > 0, "not a finite positive figure: " + v + " in " + where);
    }
}
