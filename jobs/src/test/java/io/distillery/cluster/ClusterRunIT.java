package io.distillery.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code distill run} on the committed sample, submitted in client mode to a real 2-Worker standalone cluster: every
 * artifact committed, one store row per input id, and the tasks ran in two executor JVMs that are not the driver.
 */
@Tag("cluster")
class ClusterRunIT {
    private static final String NAME = "ClusterRunIT";
    private static StandaloneCluster cluster;
    private static Path work;

    @BeforeAll
    static void startCluster() throws IOException {
        work = Cli.repo().resolve("jobs/target/cluster").resolve(NAME).toAbsolutePath();
        StandaloneCluster.deleteTree(work.resolve("run"));
        StandaloneCluster.deleteTree(work.resolve("events"));
        cluster = StandaloneCluster.start(NAME);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void runOnTwoWorkers() throws IOException {
        Path runDir = work.resolve("run");
        Path events = Files.createDirectories(work.resolve("events"));
        List<String> overrides = List.of(
                "run-dir=" + Cli.quoted(runDir),
                "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "teacher.model.layers=[{type=dense,name=h1,units=64}]",
                "teacher.train.epochs=2",
                "student.train.epochs=2",
                "soft-targets.taps=[h1]");
        List<String> args = new ArrayList<>(List.of("run", Cli.offlineConf().toString()));
        for (String o : overrides) {
            args.add("-P");
            args.add(o);
        }
        List<String> confs = List.of(
                "spark.ui.enabled=false",
                "spark.eventLog.enabled=true",
                "spark.eventLog.dir=file://" + events,
                // Both executors registered before the first stage, even on a slow machine.
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "spark.scheduler.maxRegisteredResourcesWaitingTime=180s");

        // Watch the Workers' process trees while the job runs: which executor JVMs exist, and for which app.
        Map<Long, StandaloneCluster.Executor> seen = new ConcurrentHashMap<>();
        StandaloneCluster.Running running = cluster.submitAsync(confs, args.toArray(new String[0]));
        Thread watcher = new Thread(() -> {
            while (running.isAlive()) {
                cluster.executors().forEach(e -> seen.putIfAbsent(e.pid(), e));
                StandaloneCluster.sleep(300);
            }
        }, "executor-watcher");
        watcher.setDaemon(true);
        watcher.start();
        StandaloneCluster.Submission s = running.await(Duration.ofMinutes(6));
        assertEquals(0, s.exit(), s::toString);
        assertTrue(s.output().contains("student"), s::toString);

        // Every stage committed, with metadata; no temporaries or checkpoints left.
        for (String stage : List.of("teacher", "soft-targets", "student", "baseline", "evaluation")) {
            assertTrue(Files.isRegularFile(runDir.resolve(stage).resolve(ArtifactFiles.SUCCESS)), stage);
            assertTrue(Files.isRegularFile(runDir.resolve(stage).resolve(ArtifactFiles.METADATA)), stage);
        }
        for (String model : List.of("teacher", "student", "baseline")) {
            assertTrue(Files.size(runDir.resolve(model).resolve("model.zip")) > 0, model);
        }
        assertEquals(List.of(), ClusterChecks.leftovers(runDir));
        try (Stream<Path> list = Files.list(runDir)) {
            assertEquals(List.of("baseline", "evaluation", "soft-targets", "student", "teacher"),
                    list.map(p -> p.getFileName().toString()).sorted().toList());
        }

        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                runDir.resolve("evaluation/metrics.json").toFile(), new TypeReference<>() {
                });
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) metrics.get("models");
        assertEquals(List.of("teacher", "student", "baseline"), new ArrayList<>(models.keySet()));
        for (String m : models.keySet()) {
            double acc = ((Number) models.get(m).get("accuracy")).doubleValue();
            System.out.printf("%s accuracy %.4f%n", m, acc);
            assertTrue(acc > 0.3, m + " accuracy " + acc);
        }

        ClusterChecks.StoreCounts store = ClusterChecks.store(runDir.resolve("soft-targets"));
        assertEquals(new ClusterChecks.StoreCounts(3000, 3000, 3000, 0, 0), store);

        // Where the tasks ran: the event log names the executor of every finished task.
        ClusterChecks.Tasks tasks = ClusterChecks.tasks(events);
        System.out.println("[cluster] " + tasks);
        Set<String> taskExecutors = tasks.succeededPerExecutor().keySet();
        assertFalse(taskExecutors.contains("driver"), "tasks ran in the driver: " + tasks);
        assertTrue(taskExecutors.size() >= 2, "tasks ran in fewer than 2 executors: " + tasks);
        assertEquals(Map.of(), tasks.failedByReason(), "failed tasks on an undisturbed run");

        // ... and those executors were separate JVMs under the Workers, with a work dir each, none the driver.
        Set<Long> daemons = new TreeSet<>();
        for (String f : List.of("master.pid", "worker-1.pid", "worker-2.pid")) {
            Path pid = cluster.stateDir().resolve(f);
            if (Files.exists(pid)) {
                daemons.add(Long.parseLong(Files.readString(pid).trim()));
            }
        }
        Set<String> apps = seen.values().stream().map(StandaloneCluster.Executor::appId).collect(Collectors.toSet());
        System.out.println("[cluster] driver " + s.driverPid() + ", executors seen " + seen.values());
        assertEquals(1, apps.size(), "one application expected, saw executors of " + apps);
        String app = apps.iterator().next();
        Set<Long> pids = seen.keySet();
        assertFalse(pids.contains(s.driverPid()), "an executor PID is the driver's");
        assertTrue(pids.stream().noneMatch(daemons::contains), "an executor PID is a daemon's");
        Set<String> seenIds = seen.values().stream().map(StandaloneCluster.Executor::executorId)
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(seenIds.containsAll(taskExecutors), "task executors " + taskExecutors + " vs JVMs " + seenIds);
        assertEquals(2, seen.values().stream().map(StandaloneCluster.Executor::worker).distinct().count(),
                "executors under both Workers: " + seen.values());
        List<Path> dirs = cluster.executorDirs(app);
        Set<String> dirIds = dirs.stream().map(d -> d.getFileName().toString()).collect(Collectors.toSet());
        assertTrue(dirIds.containsAll(taskExecutors), "work dirs " + dirs + " for task executors " + taskExecutors);
        System.out.printf("[cluster] run on 2 workers: %.1f s, tasks per executor %s%n", s.seconds(),
                tasks.succeededPerExecutor());
    }
}
