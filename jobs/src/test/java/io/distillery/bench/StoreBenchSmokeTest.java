package io.distillery.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code distill bench store} at a tiny size (a 50-class synthetic teacher, 300 store rows, the Fashion-MNIST sample's
 * first 200 rows, k = 1 and 5) through the CLI: every store is written and measured, the figures are finite and
 * consistent (dense = 100%, top-k smaller, dropped mass shrinking as k grows). The goal itself is not checked.
 */
class StoreBenchSmokeTest {

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void benchStoreMeasuresEveryLayout(@TempDir Path dir) throws Exception {
        File out = dir.resolve("store.json").toFile();
        Cli.Result r = Cli.run("bench", "store", "--classes", "50", "--rows", "300", "--teacher-rows", "2000",
                "--teacher-epochs", "1", "--hidden", "32", "--k", "1,5", "--tail-ranks", "0,4",
                "--fashion-mnist", Cli.sampleTrain().toString(), "--fashion-rows", "200",
                "--fashion-teacher-rows", "500", "--fashion-teacher-epochs", "1", "--master", "local[2]",
                "--work-dir", dir.resolve("work").toString(), "--out", out.getPath());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("| synthetic-50 | top-5 | float16 |"), r.out());
        assertTrue(r.out().contains("goal (synthetic-50, top-10") || !r.out().contains("goal ("), r.out());

        JsonNode json = new ObjectMapper().readTree(out);
        JsonNode entries = json.get("entries");
        // Per data set: dense, then k = 1 and 5 in float32 and float16.
        assertEquals(10, entries.size());
        Map<String, JsonNode> byName = new HashMap<>();
        for (JsonNode e : entries) {
            String name = e.get("dataset").asText() + "/" + e.get("store").asText() + "/" + e.get("precision").asText();
            byName.put(name, e);
            long rows = e.get("dataset").asText().startsWith("synthetic") ? 300 : 200;
            assertEquals(rows, e.get("rows").asLong(), name);
            for (String f : new String[] {"logitBytesPerRow", "rowBytesPerRow", "logitFraction", "rowFraction"}) {
                double v = e.get(f).asDouble();
                assertTrue(Double.isFinite(v) && v > 0, name + " " + f + " = " + v);
            }
            for (String f : new String[] {"klUniform", "klRenormalise", "droppedMass"}) {
                for (JsonNode v : e.get(f)) {
                    assertTrue(Double.isFinite(v.asDouble()) && v.asDouble() > -1e-9, name + " " + f + " = " + v);
                }
            }
        }
        assertEquals(1.0, byName.get("synthetic-50/dense/float32").get("logitFraction").asDouble());
        JsonNode top1 = byName.get("synthetic-50/top-1/float32");
        JsonNode top5 = byName.get("synthetic-50/top-5/float32");
        assertTrue(top1.get("logitFraction").asDouble() < 0.5, top1.toString());
        for (int t = 0; t < 2; t++) {
            assertTrue(top5.get("droppedMass").get(t).asDouble() <= top1.get("droppedMass").get(t).asDouble());
        }
        assertTrue(byName.containsKey("fashion-mnist/top-5/float16"));
        // The tail-rank study runs on the 50-class set only (Fashion-MNIST has no classes beyond the top 10).
        JsonNode tail = json.get("tailEstimates");
        assertEquals(1, tail.size(), tail.toString());
        assertEquals(2, tail.get("synthetic-50").size());
        JsonNode rank4 = tail.get("synthetic-50").get(1);
        assertEquals(4, rank4.get("rank").asInt());
        double meanShapeOnly = tail.get("synthetic-50").get(0).get("klT4").asDouble();
        assertTrue(rank4.get("klT4").asDouble() <= meanShapeOnly, tail.toString());
        assertTrue(r.out().contains("| 4 | "), r.out());
        assertTrue(json.get("teachers").get("synthetic-50").get("accuracy on the store's rows").asDouble() > 0);
    }
}
