package io.distillery.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distillery.store.ArtifactFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Watching a running submission from the outside, to strike at the right moment: which executor JVM is running a
 * task (the driver's REST API), killing it until a running task is lost with it, when a training checkpoint is
 * committed, and what the driver logged per epoch.
 */
final class ClusterProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern EPOCH = Pattern.compile(
            ": epoch (\\d+)/(\\d+) loss \\S+ held-out accuracy ([0-9.]+)");

    private ClusterProbe() {
    }

    /** Polls the driver's REST API at {@code ui} until an executor (not the driver) runs a task; returns its JVM. */
    static StandaloneCluster.Executor awaitBusyExecutor(StandaloneCluster cluster, StandaloneCluster.Running running,
                                                        String ui, Duration timeout) {
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

    /**
     * SIGKILLs a busy executor JVM, and repeats with the next busy one (at most {@code maxKills} in all) until the
     * driver reports a task lost. A task can finish between the poll that saw it running and the kill (distill's
     * averaging tasks last a fraction of a second), so one kill alone does not always hit work in flight; the
     * callers still assert from the event log that a task was lost. Returns the executors killed, in order.
     */
    static List<StandaloneCluster.Executor> killUntilATaskIsLost(StandaloneCluster cluster,
                                                                StandaloneCluster.Running running, String ui,
                                                                int maxKills, Duration timeout) {
        List<StandaloneCluster.Executor> victims = new ArrayList<>();
        while (victims.size() < maxKills && running.isAlive()) {
            awaitBusyExecutor(cluster, running, ui, timeout);  // the driver's REST API is up and tasks are running
            int failedBefore = failedTasks(ui);
            StandaloneCluster.Executor victim = awaitBusyExecutor(cluster, running, ui, timeout);
            kill(victim);
            victims.add(victim);
            if (awaitTaskLost(running, ui, victim, failedBefore)) {
                break;
            }
            System.out.printf("[cluster] executor %s was idle when killed; striking again%n", victim.executorId());
        }
        return victims;
    }

    /** Waits until the training checkpoint after {@code epoch} (0-based) is committed under {@code dir}. */
    static void awaitCheckpoint(StandaloneCluster.Running running, Path dir, int epoch, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!hasEpochCheckpoint(dir, epoch + 1)) {
            if (!running.isAlive()) {
                fail("the job ended before the checkpoint of epoch " + (epoch + 1) + " in " + dir + ":\n"
                        + running.outputSoFar());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no checkpoint of epoch " + (epoch + 1) + " in " + dir + " within "
                        + timeout);
            }
            StandaloneCluster.sleep(100);
        }
    }

    /**
     * Whether {@code dir} holds a committed checkpoint taken after {@code epochs} epochs (its metadata's
     * {@code epoch} fact counts the epochs completed).
     */
    private static boolean hasEpochCheckpoint(Path dir, int epochs) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var children = Files.list(dir)) {
            return children.filter(c -> c.getFileName().toString().startsWith("round-"))
                    .filter(c -> Files.exists(c.resolve(ArtifactFiles.SUCCESS)))
                    .anyMatch(c -> {
                        try {
                            return CHECKPOINT_EPOCH.matcher(Files.readString(c.resolve(ArtifactFiles.METADATA)))
                                    .results().anyMatch(r -> Integer.parseInt(r.group(1)) == epochs);
                        } catch (java.io.IOException e) {
                            return false;  // pruned between the listing and the read
                        }
                    });
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    private static final Pattern CHECKPOINT_EPOCH = Pattern.compile("\"epoch\"\\s*:\\s*\"(\\d+)\"");

    /** Fact {@code key} of a {@code metadata.json}, or {@code "-"} when it has none. */
    static String fact(Path metadata, String key) throws java.io.IOException {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*\"([^\"]*)\"")
                .matcher(Files.readString(metadata));
        return m.find() ? m.group(1) : "-";
    }

    /** The epochs the driver logged, in order: {@code [epoch (1-based), held-out accuracy]}. */
    static List<double[]> epochs(String driverOutput) {
        List<double[]> out = new ArrayList<>();
        Matcher m = EPOCH.matcher(driverOutput);
        while (m.find()) {
            out.add(new double[]{Integer.parseInt(m.group(1)), Double.parseDouble(m.group(3))});
        }
        return out;
    }

    /** The held-out accuracy after the last logged epoch. */
    static double finalAccuracy(String driverOutput) {
        List<double[]> e = epochs(driverOutput);
        if (e.isEmpty()) {
            throw new AssertionError("no epoch lines in the driver's output:\n" + StandaloneCluster.tail(driverOutput));
        }
        return e.get(e.size() - 1)[1];
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void kill(StandaloneCluster.Executor victim) {
        ProcessHandle.of(victim.pid()).ifPresent(ProcessHandle::destroyForcibly);  // SIGKILL
        System.out.printf("[cluster] kill -9 executor %s (pid %d) of %s%n", victim.executorId(), victim.pid(),
                victim.appId());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (ProcessHandle.of(victim.pid()).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("executor " + victim.pid() + " still alive 30 s after SIGKILL");
            }
            StandaloneCluster.sleep(100);
        }
    }

    /**
     * After a kill: waits until the driver has removed {@code victim}, then a little longer for the listener bus to
     * publish the failed tasks, and says whether the failed-task count rose above {@code failedBefore}.
     */
    private static boolean awaitTaskLost(StandaloneCluster.Running running, String ui,
                                         StandaloneCluster.Executor victim, int failedBefore) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long removedAt = -1;
        while (running.isAlive() && System.nanoTime() < deadline) {
            if (failedBefore >= 0 && failedTasks(ui) > failedBefore) {
                return true;
            }
            if (removedAt < 0 && removed(ui, victim)) {
                removedAt = System.nanoTime();
            }
            if (removedAt >= 0 && System.nanoTime() - removedAt > Duration.ofSeconds(5).toNanos()) {
                return false;
            }
            StandaloneCluster.sleep(200);
        }
        return false;
    }

    /** Failed tasks over every stage of every application the driver's REST API knows, or -1 if it cannot say. */
    private static int failedTasks(String ui) {
        try {
            int failed = 0;
            for (JsonNode app : JSON.readTree(StandaloneCluster.httpGet(ui + "/api/v1/applications"))) {
                for (JsonNode stage : JSON.readTree(StandaloneCluster.httpGet(
                        ui + "/api/v1/applications/" + app.path("id").asText() + "/stages"))) {
                    failed += stage.path("numFailedTasks").asInt();
                }
            }
            return failed;
        } catch (UncheckedIOException | IOException e) {
            return -1;
        }
    }

    /** Whether the driver lists {@code victim} as no longer active. */
    private static boolean removed(String ui, StandaloneCluster.Executor victim) {
        try {
            for (JsonNode e : JSON.readTree(StandaloneCluster.httpGet(
                    ui + "/api/v1/applications/" + victim.appId() + "/allexecutors"))) {
                if (e.path("id").asText().equals(victim.executorId()) && !e.path("isActive").asBoolean(true)) {
                    return true;
                }
            }
        } catch (UncheckedIOException | IOException e) {
            // the driver is between states; ask again
        }
        return false;
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
}
