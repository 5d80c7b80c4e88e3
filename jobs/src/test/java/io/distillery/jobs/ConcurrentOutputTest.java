package io.distillery.jobs;

import io.distillery.store.ArtifactFiles;
import io.distillery.testing.ChildCli;
import io.distillery.testing.Cli;
import io.distillery.testing.OutcomeReport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two drivers writing one output path, and a driver killed while writing, as separate OS processes (child JVMs
 * running the CLI's {@code main}): of two runs exactly one commits and the other exits 2 naming the path, the
 * winner's store is whole, and what a killed driver left is removed by the next run with a log line.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class ConcurrentOutputTest {
    private static final List<String> JVM = List.of("-Xmx1g");
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final int ROWS = 3000;

    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport("ConcurrentOutputTest",
            "Concurrent runs and killed drivers (child JVMs, Spark local[2])",
            "Each case starts the CLI as separate JVM processes on one output path, as two schedulers or a retry "
                    + "after a crash would; the soft-target store of the committed 3,000-row sample, from a tiny "
                    + "teacher trained first.");

    @TempDir
    static Path base;
    private static Path teacher;

    @BeforeAll
    static void trainTinyTeacher() {
        Path shared = base.resolve("shared");
        Cli.Result r = Cli.run(Cli.args("train-teacher", Cli.offlineConf(), overrides(shared)));
        assertEquals(0, r.exit(), r::toString);
        teacher = shared.resolve("teacher");
    }

    private static List<String> overrides(Path runDir, String... more) {
        List<String> o = Cli.runOn(runDir, Cli.sampleTrain());
        o.addAll(Cli.tinyTeacher(16));
        o.add("soft-targets.taps=[h1]");
        o.addAll(List.of(more));
        return o;
    }

    private static String[] softTargets(Path runDir, String... more) {
        return Cli.args("soft-targets", Cli.offlineConf(), overrides(runDir, more));
    }

    @Test
    void twoDriversWritingOneStoreOneCommitsTheOtherExits2() {
        Path runDir = base.resolve("race");
        Cli.copyTree(teacher, runDir.resolve("teacher"));
        Path store = runDir.resolve("soft-targets");
        ChildCli.Running a = ChildCli.start(base.resolve("logs"), "race-a", JVM, softTargets(runDir));
        ChildCli.Running b = ChildCli.start(base.resolve("logs"), "race-b", JVM, softTargets(runDir));
        Cli.Result ra = a.await(TIMEOUT);
        Cli.Result rb = b.await(TIMEOUT);
        Cli.Result loser = ra.exit() == 0 ? rb : ra;
        String loserError = loser.errorLines().isEmpty() ? "(none)" : String.join(" / ", loser.errorLines());
        long[] rows = storeRows(store);
        REPORT.observe("two drivers, one output", "two soft-targets processes started together onto the same "
                        + "store path, no --overwrite",
                "one exits 0, the other exit 2 with one sentence naming the path; the store whole (3,000 rows, "
                        + "3,000 distinct ids); no temporaries or locks left",
                String.format("exits %d and %d; loser's error `%s`; store %d rows, %d distinct ids; leftovers %s",
                        ra.exit(), rb.exit(), loserError, rows[0], rows[1], Cli.leftoverTemps(runDir)));

        assertEquals(List.of(0, 2), Stream.of(ra.exit(), rb.exit()).sorted().toList(), ra + "\n" + rb);
        assertEquals(1, loser.errorLines().size(), loser::toString);
        assertFalse(loser.err().contains("unexpected failure"), loser::toString);
        String error = loser.errorLines().get(0);
        assertTrue(error.contains("Output path " + store)
                && (error.contains("is being written by another run") || error.contains("already exists")), error);
        assertTrue(new ArtifactFiles(new org.apache.hadoop.conf.Configuration()).isCommitted(store.toString()));
        assertEquals(ROWS, rows[0]);
        assertEquals(ROWS, rows[1]);
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
    }

    @Test
    void whatAKilledDriverLeftIsRemovedByTheNextRun() throws Exception {
        Path runDir = base.resolve("killed");
        Cli.copyTree(teacher, runDir.resolve("teacher"));
        Path store = runDir.resolve("soft-targets");
        Path lock = runDir.resolve(".soft-targets.lock");
        // One row per batch keeps the write going for a few seconds, long enough to kill it in the middle.
        ChildCli.Running victim = ChildCli.start(base.resolve("logs"), "killed", JVM,
                softTargets(runDir, "soft-targets.batch-size=1"));
        Optional<Path> temp = Optional.empty();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (temp.isEmpty() && victim.process().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            temp = writingTemporary(runDir);
        }
        long pid = victim.process().pid();
        victim.process().destroyForcibly().waitFor();
        assertTrue(temp.isPresent(), "the victim finished before it could be killed mid-write:\n" + victim.err());
        boolean lockLeft = Files.exists(lock);
        boolean tempLeft = Files.isDirectory(temp.get());
        boolean storeWritten = Files.exists(store);

        Cli.Result rerun = ChildCli.run(base.resolve("logs"), "rerun", JVM, TIMEOUT, softTargets(runDir));
        String lockLine = logLine(rerun, "Removed the lock " + lock);
        String tempLine = logLine(rerun, "Removed stale temporary file:" + temp.get());
        long[] rows = storeRows(store);
        REPORT.observe("driver killed mid-write, then rerun", "soft-targets (batch-size 1) killed with SIGKILL "
                        + "once its temporary store holds data; then the same soft-targets again at once",
                "the kill leaves the lock and the temporary, no store; the rerun exits 0, removes both with a "
                        + "log line each (the lock at once: its process is gone), and writes the whole store",
                String.format("after the kill: lock %s, temporary %s, store %s; rerun exit %d, log `%s` and `%s`; "
                                + "store %d rows, %d distinct ids; leftovers %s", yes(lockLeft), yes(tempLeft),
                        yes(storeWritten), rerun.exit(), lockLine, tempLine, rows[0], rows[1],
                        Cli.leftoverTemps(runDir)));

        assertTrue(lockLeft && tempLeft && !storeWritten, "expected the lock and a temporary, no store");
        assertEquals(0, rerun.exit(), rerun::toString);
        assertTrue(lockLine.contains("its process " + pid + " on this machine is gone"), lockLine);
        assertFalse(tempLine.isEmpty(), rerun::toString);
        assertFalse(Files.exists(temp.get()));
        assertEquals(ROWS, rows[0]);
        assertEquals(ROWS, rows[1]);
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    /** The store's temporary once Spark has started writing into it. */
    private static Optional<Path> writingTemporary(Path runDir) throws IOException {
        try (Stream<Path> s = Files.list(runDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".soft-targets.tmp-"))
                    .filter(p -> Files.isDirectory(p.resolve("_temporary"))).findFirst();
        }
    }

    /** The first stderr line containing {@code fragment}, without its timestamp; empty when there is none. */
    private static String logLine(Cli.Result r, String fragment) {
        return r.err().lines().filter(l -> l.contains(fragment)).map(l -> l.replaceFirst("^\\S+ ", ""))
                .findFirst().orElse("");
    }

    /** Rows and distinct ids of a store (0, 0 when there is none), read with a Spark session of this JVM. */
    private static long[] storeRows(Path store) {
        if (!Files.isDirectory(store)) {
            return new long[]{0, 0};
        }
        SparkSession spark = SparkSession.builder().master("local[2]").appName("ConcurrentOutputTest")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> ids = spark.read().option("pathGlobFilter", "*.parquet").parquet(store.toString())
                    .select("id");
            return new long[]{ids.count(), ids.distinct().count()};
        } finally {
            spark.stop();
        }
    }
}
