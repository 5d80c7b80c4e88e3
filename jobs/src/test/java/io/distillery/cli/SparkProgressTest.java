package io.distillery.cli;

import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The progress lines of long Spark stages, on real local Spark: finished tasks' counts, and running tasks' counts
 * from their heartbeats (every 200 ms here, so that a stage of a few seconds shows them).
 */
class SparkProgressTest {
    private static final Pattern LINE =
            Pattern.compile("Spark stage \\d+ \\((.*)\\): (\\d+)/(\\d+) tasks done, ([\\d,]+) records read, "
                    + "([\\d,]+) written, \\d+ s");
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("SparkProgressTest")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.executor.heartbeatInterval", "200ms")
                .getOrCreate();
        assertEquals("200ms", spark.conf().get("spark.executor.heartbeatInterval"),
                "another test left a Spark session running, so this test's heartbeat interval was not applied");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static List<String> record(Runnable job) {
        List<String> lines = new CopyOnWriteArrayList<>();
        SparkProgress progress = new SparkProgress(0, System::nanoTime, lines::add);
        spark.sparkContext().addSparkListener(progress);
        try {
            job.run();
            spark.sparkContext().listenerBus().waitUntilEmpty(30_000);
        } catch (TimeoutException e) {
            throw new AssertionError("Spark's listener bus did not drain in 30 s", e);
        } finally {
            spark.sparkContext().removeSparkListener(progress);
        }
        return lines;
    }

    @Test
    void countsFinishedTasksAndTheirRecords(@TempDir Path dir) {
        String out = dir.resolve("rows").toString();
        List<String> lines = record(() -> spark.range(0, 4000, 1, 2).write().parquet(out));
        Matcher last = matching(lines.get(lines.size() - 1), lines);
        assertEquals("2", last.group(2), lines::toString);
        assertEquals("2", last.group(3), lines::toString);
        assertEquals("4,000", last.group(5), lines::toString);
        assertTrue(last.group(1).contains("parquet"), lines::toString);
    }

    @Test
    void countsTheRecordsOfRunningTasksFromTheirHeartbeats(@TempDir Path dir) {
        String in = dir.resolve("rows").toString();
        spark.range(0, 3000, 1, 2).write().parquet(in);
        MapFunction<Long, Long> slow = id -> {
            Thread.sleep(1);
            return id;
        };
        List<String> lines = record(() -> spark.read().parquet(in).as(Encoders.LONG()).map(slow, Encoders.LONG())
                .count());
        boolean sawRunning = lines.stream().map(l -> matching(l, lines))
                .anyMatch(m -> m.group(2).equals("0") && !m.group(4).equals("0"));
        assertTrue(sawRunning, () -> "no line counted the rows of a running task: " + lines);
        Matcher scan = lines.stream().map(l -> matching(l, lines)).filter(m -> m.group(2).equals(m.group(3)))
                .filter(m -> m.group(4).equals("3,000")).findFirst().orElse(null);
        assertTrue(scan != null, () -> "no line counted all 3,000 rows read: " + lines);
    }

    private static Matcher matching(String line, List<String> all) {
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), () -> "not a progress line: " + line + " in " + all);
        return m;
    }
}
