package io.distillery.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import io.distillery.testing.OutcomeReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on the 2-Worker standalone cluster, each a row of {@code deploy/fault-report.md}:
 * <ul>
 *   <li>an executor JVM killed with SIGKILL in the middle of {@code soft-targets}: the job still finishes with
 *       exactly one store row per input id and no temporaries;</li>
 *   <li>an executor JVM killed in the middle of {@code distill}: the job finishes, and the student's held-out
 *       accuracy is within noise of an undisturbed run with the same seed;</li>
 *   <li>the driver killed in the middle of {@code distill}: {@code distill --resume} continues after the last
 *       checkpoint instead of starting over, and ends within noise of the undisturbed run;</li>
 *   <li>a bad input: a clean usage error, nothing written, the cluster unharmed;</li>
 *   <li>an executor JVM killed in the middle of {@code codistill}: both models finish every epoch and are
 *       committed, with the exchanges the schedule prescribes.</li>
 * </ul>
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFaultsIT {
    private static final String NAME = "ClusterFaultsIT";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Student epochs of the distill runs: long enough to strike in the middle. */
    private static final int EPOCHS = 10;
    /**
     * Largest accepted accuracy difference from the undisturbed run. The runs are deterministic up to the order in
     * which the driver sums worker states; 0.02 is 1.5 binomial standard deviations on the 1,000 held-out rows.
     */
    private static final double NOISE = 0.02;
    /**
     * Kills allowed per fault case to hit a running task. Spark fails a task after 4 attempts
     * (spark.task.maxFailures), so 3 lost executors cannot fail the job by themselves.
     */
    private static final int MAX_KILLS = 3;

    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport(NAME, "Faults on the standalone cluster",
            "Cluster: `deploy/standalone`, 1 Master + 2 Workers x 1 core x 2g, client-mode driver, executors with "
                    + "1g; every case is a `deploy/bin/distill-submit` of the committed sample.");
    private static StandaloneCluster cluster;
    private static Path work;
    private static Path runDir;
    /** Held-out accuracy of the undisturbed distill run. */
    private static double reference = Double.NaN;

    @BeforeAll
    static void startCluster() throws IOException {
        work = Cli.repo().resolve("jobs/target/cluster").resolve(NAME).toAbsolutePath();
        StandaloneCluster.deleteTree(work);
        runDir = work.resolve("run");
        cluster = StandaloneCluster.start(NAME);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String[] args(String command, List<String> overrides, String... flags) {
        List<String> a = new ArrayList<>(List.of(command, Cli.offlineConf().toString()));
        for (String o : overrides) {
            a.add("-P");
            a.add(o);
        }
        a.addAll(List.of(flags));
        return a.toArray(new String[0]);
    }

    private static List<String> overrides(Path dir, Path train) {
        List<String> o = Cli.runOn(dir, train);
        o.addAll(List.of(
                "teacher.path=" + Cli.quoted(runDir.resolve("teacher")),
                "soft-targets.path=" + Cli.quoted(runDir.resolve("soft-targets")),
                // A bigger teacher, small inference batches: soft-targets runs long enough to be interrupted.
                "teacher.model.layers=[{type=dense,name=h1,units=1024},{type=dense,name=h2,units=1024}]",
                "teacher.train.epochs=1",
                "soft-targets.batch-size=64",
                "soft-targets.taps=[h1,h2]",
                "student.train.epochs=" + EPOCHS));
        return o;
    }

    /** Overrides of a distill run whose student goes to {@code run/<name>}. */
    private static List<String> distill(String name) {
        List<String> o = overrides(runDir, Cli.sampleTrain());
        o.add("student.path=" + Cli.quoted(runDir.resolve(name)));
        return o;
    }

    /** Spark properties that expose the driver's REST API on {@code uiPort} and log events to {@code events}. */
    private static List<String> watched(int uiPort, Path events) {
        return List.of(
                "spark.ui.port=" + uiPort,
                "spark.port.maxRetries=0",  // the UI must be where we poll, not on the next free port
                "spark.eventLog.enabled=true",
                "spark.eventLog.dir=file://" + events,
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "spark.scheduler.maxRegisteredResourcesWaitingTime=180s");
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
        Path events = Files.createDirectories(work.resolve("events-soft-targets"));
        int uiPort = ClusterProbe.freePort();
        StandaloneCluster.Running running = cluster.submitAsync(watched(uiPort, events),
                args("soft-targets", overrides(runDir, Cli.sampleTrain())));
        long tKill = System.nanoTime();
        List<StandaloneCluster.Executor> victims = ClusterProbe.killUntilATaskIsLost(cluster, running,
                "http://127.0.0.1:" + uiPort, MAX_KILLS, Duration.ofMinutes(4));
        StandaloneCluster.Submission s = running.await(Duration.ofMinutes(5));
        double afterKill = (System.nanoTime() - tKill) / 1e9;

        ClusterChecks.Tasks tasks = ClusterChecks.tasks(events);
        ClusterChecks.StoreCounts store = s.exit() == 0 ? ClusterChecks.store(runDir.resolve("soft-targets")) : null;
        List<Path> leftovers = ClusterChecks.leftovers(runDir);
        REPORT.observe("executor killed mid soft-targets", "soft-targets (teacher 784-1024-1024-10, batch-size "
                        + "64, 2 input partitions); SIGKILL to an executor JVM as soon as the driver's REST API shows "
                        + "it running a task (again, up to " + MAX_KILLS + " kills, until one takes a task with it)",
                "exit 0; 3,000 rows, 3,000 distinct ids = the input's; lost task "
                        + "retried; no `.*.tmp-*` or `_temporary` left",
                String.format("exit %d in %.0f s (%.0f s after the first kill); killed executors %s; failed tasks %s; "
                                + "executors removed %s; tasks ok per executor %s; store %s; leftovers %s",
                        s.exit(), s.seconds(), afterKill, described(victims), tasks.failedByReason(),
                        tasks.executorsRemoved(), tasks.succeededPerExecutor(),
                        store == null ? "not read" : store.rows() + " rows, " + store.distinctIds() + " distinct ids, "
                                + store.notInInput() + " not in input, " + store.missing() + " missing", leftovers));

        assertEquals(0, s.exit(), s::toString);
        assertTrue(Files.isRegularFile(runDir.resolve("soft-targets").resolve(ArtifactFiles.SUCCESS)));
        assertEquals(new ClusterChecks.StoreCounts(3000, 3000, 3000, 0, 0), store);
        assertEquals(List.of(), leftovers);
        assertKilledExecutorsCostATask(tasks, victims);
    }

    @Test
    @Order(3)
    void undisturbedDistillIsTheReference() {
        StandaloneCluster.Submission s = cluster.submit(StandaloneCluster.DEFAULT_SUBMIT_TIMEOUT,
                List.of("spark.ui.enabled=false"), args("distill", distill("student-reference")));
        assertEquals(0, s.exit(), s::toString);
        reference = ClusterProbe.finalAccuracy(s.output());
        assertEquals(EPOCHS, ClusterProbe.epochs(s.output()).size(), s::toString);
        System.out.printf("[cluster] reference distill: accuracy %.4f in %.0f s%n", reference, s.seconds());
    }

    @Test
    @Order(4)
    void distillSurvivesAKilledExecutor() throws IOException {
        Path events = Files.createDirectories(work.resolve("events-distill"));
        int uiPort = ClusterProbe.freePort();
        Path student = runDir.resolve("student-executor-killed");
        StandaloneCluster.Running running = cluster.submitAsync(watched(uiPort, events),
                args("distill", distill(student.getFileName().toString())));
        // Strike once training is under way: after the second epoch's checkpoint, at the next busy executor.
        ClusterProbe.awaitCheckpoint(running, checkpoints(student), 1, Duration.ofMinutes(4));
        List<StandaloneCluster.Executor> victims = ClusterProbe.killUntilATaskIsLost(cluster, running,
                "http://127.0.0.1:" + uiPort, MAX_KILLS, Duration.ofMinutes(2));
        StandaloneCluster.Submission s = running.await(Duration.ofMinutes(6));

        ClusterChecks.Tasks tasks = ClusterChecks.tasks(events);
        List<double[]> epochs = ClusterProbe.epochs(s.output());
        double accuracy = epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1)[1];
        List<Path> leftovers = ClusterChecks.leftovers(runDir);
        REPORT.observe("executor killed mid distill", "distill (student 784-32-10, " + EPOCHS + " epochs, "
                        + "parameter averaging every 5 minibatches); SIGKILL to a busy executor JVM after the "
                        + "checkpoint of epoch 2 (again, up to " + MAX_KILLS
                        + " kills, until one takes a task with it)",
                "exit 0; all " + EPOCHS + " epochs; held-out accuracy within " + NOISE
                        + " of the undisturbed run with the same seed; no temporaries left",
                String.format("exit %d in %.0f s; killed executors %s; failed tasks %s; epochs logged %d; "
                                + "accuracy %.4f vs undisturbed %.4f (difference %+.4f); leftovers %s", s.exit(),
                        s.seconds(), described(victims), tasks.failedByReason(), epochs.size(),
                        accuracy, reference, accuracy - reference, leftovers));

        assertEquals(0, s.exit(), s::toString);
        assertTrue(Files.isRegularFile(student.resolve(ArtifactFiles.SUCCESS)));
        assertEquals(EPOCHS, epochs.size(), s::toString);
        assertTrue(Math.abs(accuracy - reference) <= NOISE, accuracy + " vs " + reference);
        assertEquals(List.of(), leftovers);
        assertKilledExecutorsCostATask(tasks, victims);
    }

    @Test
    @Order(5)
    void distillResumesAfterTheDriverIsKilled() {
        Path student = runDir.resolve("student-driver-killed");
        List<String> o = distill(student.getFileName().toString());
        StandaloneCluster.Running first = cluster.submitAsync(List.of("spark.ui.enabled=false"), args("distill", o));
        int strike = 3;  // 0-based: the checkpoint after the 4th epoch
        ClusterProbe.awaitCheckpoint(first, checkpoints(student), strike, Duration.ofMinutes(5));
        ProcessHandle.of(first.driverPid()).ifPresent(ProcessHandle::destroyForcibly);  // SIGKILL the driver JVM
        System.out.printf("[cluster] kill -9 driver (pid %d)%n", first.driverPid());
        StandaloneCluster.Submission killed = first.await(Duration.ofMinutes(1));
        boolean outputAfterKill = Files.exists(student);
        int lastBeforeKill = ClusterProbe.epochs(killed.output()).size();

        StandaloneCluster.Submission resumed = cluster.submit(StandaloneCluster.DEFAULT_SUBMIT_TIMEOUT,
                List.of("spark.ui.enabled=false"), args("distill", o, "--resume"));
        List<double[]> epochs = ClusterProbe.epochs(resumed.output());
        int firstEpoch = epochs.isEmpty() ? -1 : (int) epochs.get(0)[0];
        double accuracy = epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1)[1];
        String resumeLine = resumed.output().lines().filter(l -> l.contains("resuming after epoch")).findFirst()
                .orElse("(none)").replaceAll("^.*?(student: resuming)", "$1");
        List<Path> leftovers = ClusterChecks.leftovers(runDir);
        REPORT.observe("driver killed mid distill, then --resume", "distill (" + EPOCHS + " epochs); SIGKILL to "
                        + "the driver JVM once the checkpoint of epoch " + (strike + 1) + " is committed; then the "
                        + "same distill with --resume", "first run dies, nothing at the student path; the rerun logs "
                        + "that it resumes, trains only the remaining epochs, exits 0 within " + NOISE + " of the "
                        + "undisturbed run; checkpoints removed after the save",
                String.format("killed run: exit %d, %d epochs logged, student path written %s; rerun: exit %d in "
                                + "%.0f s, `%s`, epochs %d..%d trained, accuracy %.4f vs undisturbed %.4f (difference "
                                + "%+.4f); checkpoints left %s; leftovers %s", killed.exit(), lastBeforeKill,
                        outputAfterKill, resumed.exit(), resumed.seconds(), resumeLine, firstEpoch,
                        epochs.isEmpty() ? -1 : (int) epochs.get(epochs.size() - 1)[0], accuracy, reference,
                        accuracy - reference, Files.exists(checkpoints(student)), leftovers));

        assertNotEquals(0, killed.exit(), killed::toString);
        assertFalse(outputAfterKill, "a student was committed by the killed run");
        assertEquals(0, resumed.exit(), resumed::toString);
        assertTrue(firstEpoch > strike + 1, "started over at epoch " + firstEpoch + ":\n" + resumed);
        assertEquals(strike + 2, firstEpoch, resumed::toString);  // resumes after the last committed checkpoint
        assertEquals(EPOCHS - strike - 1, epochs.size(), resumed::toString);
        assertTrue(Math.abs(accuracy - reference) <= NOISE, accuracy + " vs " + reference);
        assertTrue(Files.isRegularFile(student.resolve(ArtifactFiles.SUCCESS)));
        assertFalse(Files.exists(checkpoints(student)));
        assertEquals(List.of(), leftovers);
    }

    @Test
    @Order(6)
    void missingInputIsAUsageErrorAndLeavesTheClusterUp() throws IOException {
        Path badRun = work.resolve("bad-run");
        Path missing = work.resolve("no-such-input");
        List<String> o = overrides(badRun, missing);
        o.add("soft-targets.path=" + Cli.quoted(badRun.resolve("soft-targets")));
        StandaloneCluster.Submission s = cluster.submit(StandaloneCluster.DEFAULT_SUBMIT_TIMEOUT,
                List.of("spark.ui.enabled=false"), args("soft-targets", o));
        List<String> errors = s.output().lines().filter(l -> l.startsWith("error: ")).toList();
        // Our CLI prints a stack trace only for unexpected failures. Spark itself may log one when the driver
        // exits while an executor is still fetching the jar (a closed channel): that noise is not ours.
        boolean trace = s.output().contains("unexpected failure")
                || s.output().lines().anyMatch(l -> l.startsWith("\tat io.distillery"));
        JsonNode master = JSON.readTree(cluster.masterJson());
        int alive = master.path("aliveworkers").asInt();
        boolean written = Files.exists(badRun.resolve("soft-targets"));
        REPORT.observe("missing input path", "soft-targets with data.train pointing at a directory that does not "
                        + "exist", "exit 2, one `error: ` line naming the path, no stack trace; nothing written; both "
                        + "Workers still alive",
                String.format("exit %d in %.0f s; error lines %s; stack trace %s; soft-targets written %s; alive "
                        + "workers %d", s.exit(), s.seconds(), errors, trace ? "yes" : "no", written, alive));
        assertEquals(2, s.exit(), s::toString);
        assertEquals(1, errors.size(), s::toString);
        assertTrue(errors.get(0).contains(missing.toString()), errors.get(0));
        assertFalse(trace, s::toString);
        assertFalse(written);
        assertEquals(List.of(), ClusterChecks.leftovers(work));
        assertEquals(2, alive);
    }

    @Test
    @Order(7)
    void codistillSurvivesAKilledExecutor() throws IOException {
        Path events = Files.createDirectories(work.resolve("events-codistill"));
        int uiPort = ClusterProbe.freePort();
        Path out = runDir.resolve("codistill-executor-killed");
        List<String> o = Cli.runOn(runDir, Cli.sampleTrain());
        o.addAll(List.of("codistill.path=" + Cli.quoted(out), "student.train.epochs=" + EPOCHS,
                "student.model.layers=[{type=dense,name=hidden1,units=32}]", "codistill.burn-in=1",
                "codistill.exchange-period=4"));
        List<String> a = new ArrayList<>(List.of("codistill",
                Cli.repo().resolve("conf/fashion-mnist-codistill.conf").toString()));
        o.forEach(x -> a.addAll(List.of("-P", x)));
        StandaloneCluster.Running running = cluster.submitAsync(watched(uiPort, events), a.toArray(new String[0]));
        ClusterProbe.awaitCheckpoint(running, checkpoints(out), 1, Duration.ofMinutes(4));
        List<StandaloneCluster.Executor> victims = ClusterProbe.killUntilATaskIsLost(cluster, running,
                "http://127.0.0.1:" + uiPort, MAX_KILLS, Duration.ofMinutes(2));
        StandaloneCluster.Submission s = running.await(Duration.ofMinutes(6));

        ClusterChecks.Tasks tasks = ClusterChecks.tasks(events);
        long epochsA = s.output().lines().filter(l -> l.contains("codistill/a: epoch ")).count();
        long epochsB = s.output().lines().filter(l -> l.contains("codistill/b: epoch ")).count();
        boolean committed = Files.isRegularFile(out.resolve(ArtifactFiles.SUCCESS))
                && Files.isRegularFile(out.resolve("a/model.zip")) && Files.isRegularFile(out.resolve("b/model.zip"));
        String exchanges = committed ? ClusterProbe.fact(out.resolve(ArtifactFiles.METADATA), "exchanges") : "-";
        List<Path> leftovers = ClusterChecks.leftovers(runDir);
        REPORT.observe("executor killed mid codistill", "codistill of two 784-32-10 models (" + EPOCHS + " epochs, "
                        + "burn-in 1 epoch, exchange every 4 rounds); SIGKILL to a busy executor JVM after the "
                        + "checkpoint of epoch 2 (again, up to " + MAX_KILLS + " kills, until one takes a task)",
                "exit 0; both models train all " + EPOCHS + " epochs and are committed; no temporaries left",
                String.format("exit %d in %.0f s; killed executors %s; failed tasks %s; epochs logged a %d, b %d; "
                                + "committed %s; exchanges %s; leftovers %s", s.exit(), s.seconds(),
                        described(victims), tasks.failedByReason(), epochsA, epochsB, committed, exchanges,
                        leftovers));

        assertEquals(0, s.exit(), s::toString);
        assertEquals(EPOCHS, epochsA, s::toString);
        assertEquals(EPOCHS, epochsB, s::toString);
        assertTrue(committed, s::toString);
        assertEquals(List.of(), leftovers);
        assertKilledExecutorsCostATask(tasks, victims);
    }

    private static Path checkpoints(Path output) {
        return output.resolveSibling(output.getFileName() + ".checkpoints");
    }

    /** "0 (pid 123), 2 (pid 456)": the killed executors, for the report. */
    private static String described(List<StandaloneCluster.Executor> victims) {
        return victims.stream().map(v -> v.executorId() + " (pid " + v.pid() + ")")
                .collect(Collectors.joining(", "));
    }

    private static void assertKilledExecutorsCostATask(ClusterChecks.Tasks tasks,
                                                       List<StandaloneCluster.Executor> victims) {
        assertTrue(tasks.failedByReason().getOrDefault("ExecutorLostFailure", 0) >= 1,
                victims.size() + " kills hit no running task: " + tasks);
        for (StandaloneCluster.Executor victim : victims) {
            assertTrue(tasks.executorsRemoved().stream().anyMatch(r -> r.startsWith(victim.executorId() + ":")),
                    "executor " + victim.executorId() + " not reported removed: " + tasks);
        }
    }
}
