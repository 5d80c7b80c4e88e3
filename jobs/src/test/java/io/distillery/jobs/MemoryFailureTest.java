package io.distillery.jobs;

import io.distillery.testing.ChildCli;
import io.distillery.testing.Cli;
import io.distillery.testing.OutcomeReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stage that runs out of memory ends with exit 1 and one sentence naming the stage and what to raise, not with a
 * bare stack trace and not with Spark's exit code 52. Each case runs the CLI's {@code main} in a child JVM with a
 * {@value #HEAP} heap and gives it work that cannot fit: in a Spark task (local mode, so Spark's handler would
 * otherwise end the JVM with {@code System.exit(52)}) and in the driver.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class MemoryFailureTest {
    private static final String HEAP = "640m";
    private static final List<String> JVM = List.of("-Xmx" + HEAP);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    /** Rows per forward pass that no 640 MB heap holds: the batch's row list alone is 1.2 GB of references. */
    private static final int HUGE_BATCH = 300_000_000;
    /** 28x28 images whose floats (784 MB) exceed the heap; gzipped zeros, so the file is small. */
    private static final int HUGE_IMAGES = 250_000;

    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport("MemoryFailureTest",
            "Out of memory (child JVMs with a " + HEAP + " heap, Spark local[2])",
            "Each case runs one subcommand in its own JVM with work that cannot fit in its heap; the contract is "
                    + "exit 1 (not Spark's 52) and one `error:` sentence naming the stage, where the memory ran out "
                    + "and the settings to raise or lower.");

    @TempDir
    static Path base;
    private static Path teacher;

    @BeforeAll
    static void trainTinyTeacher() {
        Path shared = base.resolve("shared");
        List<String> o = Cli.runOn(shared, Cli.sampleTrain());
        o.addAll(Cli.tinyTeacher(16));
        Cli.Result r = Cli.run(Cli.args("train-teacher", Cli.offlineConf(), o));
        assertEquals(0, r.exit(), r::toString);
        teacher = shared.resolve("teacher");
    }

    /** Runs the child and checks the contract: exit 1, one sentence with every fragment, no CLI stack trace. */
    private static String outOfMemory(String testCase, String done, String name, List<String> overrides,
                                      String command, String... expected) {
        Path runDir = base.resolve(name);
        List<String> o = Cli.runOn(runDir, Cli.sampleTrain());
        o.addAll(Cli.tinyTeacher(16));
        o.add("soft-targets.taps=[h1]");
        o.addAll(overrides);
        Cli.Result r = ChildCli.run(base.resolve("logs"), name, JVM, TIMEOUT,
                Cli.args(command, Cli.offlineConf(), o));
        String errors = String.join(" / ", r.errorLines());
        REPORT.observe(testCase, done, "exit 1; one sentence with " + String.join(", ", expected),
                String.format("exit %d in %.0f s; `%s`; leftovers %s", r.exit(), r.seconds(), errors,
                        Cli.leftoverTemps(runDir)));
        assertEquals(1, r.exit(), r::toString);
        assertEquals(1, r.errorLines().size(), r::toString);
        assertFalse(r.err().contains("unexpected failure"), r::toString);
        for (String e : expected) {
            assertTrue(errors.contains(e), "'" + e + "' is not in: " + errors);
        }
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
        return errors;
    }

    @Test
    void batchTooLargeForTheExecutorsHeap() {
        Path runDir = base.resolve("task");
        Cli.copyTree(teacher, runDir.resolve("teacher"));
        outOfMemory("out of memory in a task", "soft-targets with soft-targets.batch-size = " + HUGE_BATCH
                        + " (its row buffer cannot be allocated in a task)", "task",
                List.of("soft-targets.batch-size=" + HUGE_BATCH), "soft-targets",
                "Stage soft-targets ran out of memory in a Spark task", "java.lang.OutOfMemoryError",
                "spark.executor.memory", "spark.driver.memory", "distillery.soft-targets.batch-size (now "
                        + HUGE_BATCH + ")");
        assertFalse(Files.exists(runDir.resolve("soft-targets")));
    }

    @Test
    void idxInputTooLargeForTheDriversHeap() throws IOException {
        Path dir = base.resolve("idx");
        Files.createDirectories(dir);
        Path images = dir.resolve("big-images-idx3-ubyte.gz");
        writeIdx(images, 2051, HUGE_IMAGES, 28 * 28, new int[]{28, 28});
        writeIdx(dir.resolve("big-labels-idx1-ubyte.gz"), 2049, HUGE_IMAGES, 1, new int[0]);
        String path = Cli.quoted(images);
        outOfMemory("out of memory in the driver", "train-teacher on a gzipped IDX file of " + HUGE_IMAGES
                        + " images (the driver reads IDX whole: 784 MB of floats)", "driver",
                List.of("data.format=idx", "data.train=" + path, "data.test=" + path), "train-teacher",
                "Stage train-teacher ran out of memory in the driver", "java.lang.OutOfMemoryError: Java heap space",
                "spark.driver.memory", "convert the IDX input to Parquet");
        assertFalse(Files.exists(base.resolve("driver/teacher")));
    }

    /** An IDX file of {@code n} items of {@code itemBytes} zero bytes (labels i mod 10), gzipped. */
    private static void writeIdx(Path file, int magic, int n, int itemBytes, int[] dims) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             DataOutputStream out = new DataOutputStream(new GZIPOutputStream(raw, 1 << 16))) {
            out.writeInt(magic);
            out.writeInt(n);
            for (int d : dims) {
                out.writeInt(d);
            }
            byte[] item = new byte[itemBytes];
            for (int i = 0; i < n; i++) {
                if (itemBytes == 1) {
                    item[0] = (byte) (i % 10);
                }
                out.write(item);
            }
        }
    }
}
