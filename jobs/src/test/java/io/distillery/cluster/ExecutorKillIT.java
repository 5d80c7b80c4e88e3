package io.distillery.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults on the 2-Worker standalone cluster: an executor JVM killed with SIGKILL in the middle of {@code soft-targets}
 * (the job must still finish with exactly one store row per input id and no temporaries), and a bad input (a clean
 * usage error, nothing written, the cluster unharmed). Each outcome is a row of
 * {@code deploy/standalone/fault-report.md}.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExecutorKillIT {
    private static final String NAME = "ExecutorKillIT";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ClusterChecks.FaultReport REPORT = new ClusterChecks.FaultReport("ExecutorKillIT");
    private static StandaloneCluster cluster;
    private static Path work;
    private static Path runDir;

    @BeforeAll
    static void startCluster() throws IOException {
        work = Cli.repo().resolve("jobs/target/cluster").resolve(NAME).toAbsolutePath();
        for (String d : List.of("run", "bad-run", "events")) {
            StandaloneCluster.deleteTree(work.resolve(d));
        }
        runDir = work.resolve("run");
        cluster = StandaloneCluster.start(NAME);
    }

    @AfterAll
    static void stopCluster() {
        try {
            REPORT.write();
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    private static String[] args(String command, List<String> overrides) {
        List<String> a = new ArrayList<>(List.of(command, Cli.offlineConf().toString()));
        for (String o : overrides) {
            a.add("-P");
            a.add(o);
        }
        return a.toArray(new String[0]);
    }

    private static List<String> overrides(Path dir, Path train) {
        return List.of(
                "run-dir=" + Cli.quoted(dir),
                "teacher.path=" + Cli.quoted(runDir.resolve("teacher")),
                "data.train=" + Cli.quoted(train),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                // A bigger teacher, small inference batches: soft-targets runs long enough to be interrupted.
                "teacher.model.layers=[{type=dense,name=h1,units=1024},{type=dense,name=h2,units=1024}]",
                "teacher.train.epochs=1",
                "soft-targets.batch-size=64",
                "soft-targets.taps=[h1,h2]");
    }

    @Test
    @Order(1)
    void teacherTrainsOnTheCluster() {
        StandaloneCluster.Submission s = cluster.submit(StandaloneCluster.DEFAULT_SUBMIT_TIMEOUT,
                List.of("spark.ui.enabled=false"), args("train-teacher", overrides(runDir, Cli.sampleTrain())));
        assertEquals(0, s.exit(), s::toString);
        assertTrue(Files.isRegularFile(runDir.resolve("teacher").resolve(ArtifactFiles.SUCCESS)));
    }

    @Test
    @Order(2)
    void softTargetsSurviveAKilledExecutor() throws IOException {
        Path events = Files.createDirectories(work.resolve("events"));
        int uiPort = freePort();
        String ui = "http://127.0.0.1:" + uiPort;
        List<String> confs = List.of(
                "spark.ui.port=" + uiPort,
                "spark.port.maxRetries=0",  // the UI must be where we poll, not on the next free port
                "spark.eventLog.enabled=true",
                "spark.eventLog.dir=file://" + events,
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "spark.scheduler.maxRegisteredResourcesWaitingTime=180s");
        String done = "soft-targets (teacher 784-1024-1024-10, batch-size 64, 2 input partitions); SIGKILL to the "
                + "executor JVM as soon as the driver's REST API shows it running a task";
        String expected = "exit 0; 3,000 rows, 3,000 distinct ids = the input's; lost task retried; "
                + "no `.*.tmp-*` or `_temporary` left";
        boolean pass = false;
        String observed = "test aborted before the outcome was known";
        try {
            StandaloneCluster.Running running = cluster.submitAsync(confs,
                    args("soft-targets", overrides(runDir, Cli.sampleTrain())));
            StandaloneCluster.Executor victim = awaitBusyExecutor(running, ui, Duration.ofMinutes(4));
            long tKill = System.nanoTime();
            ProcessHandle.of(victim.pid()).ifPresent(ProcessHandle::destroyForcibly);  // SIGKILL
            System.out.printf("[cluster] kill -9 executor %s (pid %d) of %s%n", victim.executorId(), victim.pid(),
                    victim.appId());
            StandaloneCluster.Submission s = running.await(Duration.ofMinutes(5));
            double afterKill = (System.nanoTime() - tKill) / 1e9;
            assertFalse(ProcessHandle.of(victim.pid()).map(ProcessHandle::isAlive).orElse(false), "victim alive");

            ClusterChecks.Tasks tasks = ClusterChecks.tasks(events);
            System.out.println("[cluster] " + tasks);
            ClusterChecks.StoreCounts store = s.exit() == 0
                    ? ClusterChecks.store(runDir.resolve("soft-targets")) : null;
            List<Path> leftovers = ClusterChecks.leftovers(runDir);
            observed = String.format("exit %d in %.0f s (%.0f s after the kill); killed executor %s (pid %d); "
                            + "failed tasks %s; executors removed %s; tasks ok per executor %s; store %s; leftovers %s",
                    s.exit(), s.seconds(), afterKill, victim.executorId(), victim.pid(), tasks.failedByReason(),
                    tasks.executorsRemoved(), tasks.succeededPerExecutor(),
                    store == null ? "not read" : store.rows() + " rows, " + store.distinctIds() + " distinct ids, "
                            + store.notInInput() + " not in input, " + store.missing() + " missing",
                    leftovers);

            assertEquals(0, s.exit(), s::toString);
            assertTrue(Files.isRegularFile(runDir.resolve("soft-targets").resolve(ArtifactFiles.SUCCESS)));
            assertEquals(new ClusterChecks.StoreCounts(3000, 3000, 3000, 0, 0), store);
            assertEquals(List.of(), leftovers);
            assertTrue(tasks.failedByReason().getOrDefault("ExecutorLostFailure", 0) >= 1,
                    "the kill hit no running task: " + tasks);
            assertTrue(tasks.executorsRemoved().stream().anyMatch(r -> r.startsWith(victim.executorId() + ":")),
                    "executor " + victim.executorId() + " not reported removed: " + tasks);
            pass = true;
        } finally {
            REPORT.add("executor killed mid-task", done, expected, observed, pass);
        }
    }

    @Test
    @Order(3)
    void missingInputIsAUsageErrorAndLeavesTheClusterUp() throws IOException {
        Path badRun = work.resolve("bad-run");
        Path missing = work.resolve("no-such-input");
        String done = "soft-targets with data.train pointing at a directory that does not exist";
        String expected = "exit 2, one `error: ` line naming the path, no stack trace; nothing written; "
                + "both Workers still alive";
        boolean pass = false;
        String observed = "test aborted before the outcome was known";
        try {
            StandaloneCluster.Submission s = cluster.submit(StandaloneCluster.DEFAULT_SUBMIT_TIMEOUT,
                    List.of("spark.ui.enabled=false"), args("soft-targets", overrides(badRun, missing)));
            List<String> errors = s.output().lines().filter(l -> l.startsWith("error: ")).toList();
            // Our CLI prints a stack trace only for unexpected failures. Spark itself may log one when the driver
            // exits while an executor is still fetching the jar (a closed channel): that noise is not ours.
            boolean trace = s.output().contains("unexpected failure")
                    || s.output().lines().anyMatch(l -> l.startsWith("\tat io.distillery"));
            JsonNode master = JSON.readTree(cluster.masterJson());
            int alive = master.path("aliveworkers").asInt();
            boolean written = Files.exists(badRun.resolve("soft-targets"));
            observed = String.format("exit %d in %.0f s; error lines %s; stack trace %s; soft-targets written %s; "
                    + "alive workers %d", s.exit(), s.seconds(), errors, trace ? "yes" : "no", written, alive);
            assertEquals(2, s.exit(), s::toString);
            assertEquals(1, errors.size(), s::toString);
            assertTrue(errors.get(0).contains(missing.toString()), errors.get(0));
            assertFalse(trace, s::toString);
            assertFalse(written);
            assertEquals(List.of(), ClusterChecks.leftovers(work));
            assertEquals(2, alive);
            pass = true;
        } finally {
            REPORT.add("missing input path", done, expected, observed, pass);
        }
    }

    /** Polls the driver's REST API until an executor (not the driver) runs a task; returns its JVM. */
    private static StandaloneCluster.Executor awaitBusyExecutor(StandaloneCluster.Running running, String ui,
                                                               Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!running.isAlive()) {
                fail("the job ended before any executor was seen busy:\n" + running.outputSoFar());
            }
            Optional<String> busy = busyExecutor(ui);
            if (busy.isPresent()) {
                String[] appAndExec = busy.get().split(" ");
                for (StandaloneCluster.Executor e : cluster.executors()) {
                    if (e.appId().equals(appAndExec[0]) && e.executorId().equals(appAndExec[1])) {
                        return e;
                    }
                }
            }
            StandaloneCluster.sleep(200);
        }
        throw new AssertionError("no executor busy within " + timeout);
    }

    /** "appId executorId" of an executor with an active task, per the driver's REST API, if any. */
    private static Optional<String> busyExecutor(String ui) {
        try {
            JsonNode apps = JSON.readTree(StandaloneCluster.httpGet(ui + "/api/v1/applications"));
            for (JsonNode app : apps) {
                String id = app.path("id").asText();
                JsonNode execs = JSON.readTree(StandaloneCluster.httpGet(
                        ui + "/api/v1/applications/" + id + "/executors"));
                for (JsonNode e : execs) {
                    if (!e.path("id").asText().equals("driver") && e.path("activeTasks").asInt() > 0) {
                        return Optional.of(id + " " + e.path("id").asText());
                    }
                }
            }
        } catch (UncheckedIOException | IOException e) {
            // UI not up yet
        }
        return Optional.empty();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
