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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Watching a running submission from the outside, to strike at the right moment: which executor JVM is running a
 * task (the driver's REST API), when a training checkpoint is committed, and what the driver logged per epoch.
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

    /** Waits until the training checkpoint after {@code epoch} (0-based) is committed under {@code dir}. */
    static void awaitCheckpoint(StandaloneCluster.Running running, Path dir, int epoch, Duration timeout) {
        Path marker = dir.resolve(String.format("epoch-%04d", epoch)).resolve(ArtifactFiles.SUCCESS);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(marker)) {
            if (!running.isAlive()) {
                fail("the job ended before checkpoint " + marker + ":\n" + running.outputSoFar());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no checkpoint " + marker + " within " + timeout);
            }
            StandaloneCluster.sleep(100);
        }
    }

    /** The epochs the driver logged, in order: {@code [epoch (1-based), held-out accuracy]}. */
    static java.util.List<double[]> epochs(String driverOutput) {
        java.util.List<double[]> out = new java.util.ArrayList<>();
        Matcher m = EPOCH.matcher(driverOutput);
        while (m.find()) {
            out.add(new double[]{Integer.parseInt(m.group(1)), Double.parseDouble(m.group(3))});
        }
        return out;
    }

    /** The held-out accuracy after the last logged epoch. */
    static double finalAccuracy(String driverOutput) {
        java.util.List<double[]> e = epochs(driverOutput);
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
