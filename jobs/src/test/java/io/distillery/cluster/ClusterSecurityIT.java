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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A shared cluster's security settings: a standalone cluster of its own whose Master and Workers run with
 * {@code spark.authenticate} and AES network encryption, the secret in a private properties file as
 * {@code deploy/README.md} documents. A submission with a wrong secret is refused in one sentence, quickly; {@code run}
 * with the right one succeeds with both settings in effect; and the secret is in no log, metadata or event log.
 */
@Tag("cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSecurityIT {
    private static final String NAME = "ClusterSecurityIT";
    private static final Pattern REFUSED = Pattern.compile("error: The Spark master at spark://127\\.0\\.0\\.1:\\d+ "
            + "refused the connection: authentication failed \\(check that spark\\.authenticate\\.secret is the "
            + "cluster's and that the cluster runs with spark\\.authenticate=true\\)\\.");
    private static final String SECRET = "distillery-it-" + UUID.randomUUID();
    private static final String WRONG_SECRET = "distillery-it-wrong-" + UUID.randomUUID();

    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport(NAME, "A shared cluster: authentication and encryption",
            "Cluster: `deploy/standalone` started from a mode-600 properties file with `spark.authenticate=true`, "
                    + "a random secret and `spark.network.crypto.enabled=true`; 1 Master + 2 Workers; every case is a "
                    + "`deploy/bin/distill-submit` of the committed sample.");
    private static Path work;
    private static Path clusterConf;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void startCluster() throws IOException {
        work = Cli.repo().resolve("jobs/target/cluster").resolve(NAME).toAbsolutePath();
        for (String dir : List.of("run", "run-refused", "events", "conf")) {
            StandaloneCluster.deleteTree(work.resolve(dir));
        }
        clusterConf = privateProperties("cluster.conf", SECRET);
        cluster = StandaloneCluster.start(NAME, clusterConf);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void wrongSecretIsRefusedInOneSentence() throws IOException {
        Path runDir = work.resolve("run-refused");
        Path wrong = privateProperties("wrong.conf", WRONG_SECRET);
        StandaloneCluster.Submission s = cluster.submitAsync(wrong, List.of("spark.ui.enabled=false"),
                "train-teacher", Cli.offlineConf().toString(), "-P", "run-dir=" + Cli.quoted(runDir))
                .await(Duration.ofMinutes(3));
        List<String> lines = s.output().lines().filter(l -> !l.startsWith("[distill-submit]")).toList();
        REPORT.observe("wrong spark.authenticate.secret", "train-teacher submitted with a properties file whose "
                        + "secret is not the cluster's", "non-zero exit, one `error: ` line naming the master, within "
                        + "45 s; nothing written; both Workers still alive",
                String.format("exit %d in %.0f s; %d output line(s): %s; run dir written %s", s.exit(), s.seconds(),
                        lines.size(), lines.isEmpty() ? "-" : lines.get(0).replaceAll(":\\d+ ", ":<port> "),
                        Files.exists(work.resolve("run-refused"))));
        assertNotEquals(0, s.exit(), s::toString);
        assertEquals(1, lines.size(), s::toString);
        assertTrue(REFUSED.matcher(lines.get(0)).matches(), s::toString);
        // Spark alone would retry its registration for a minute first (see MasterHandshake).
        assertTrue(s.seconds() < 45, "refused only after " + s.seconds() + " s");
        assertFalse(Files.exists(runDir), "a refused run wrote " + runDir);
        assertTrue(Pattern.compile("\"aliveworkers\"\\s*:\\s*2\\b").matcher(cluster.masterJson()).find(),
                cluster::masterJson);
    }

    @Test
    @Order(2)
    void authenticatedEncryptedRunLeavesTheSecretNowhere() throws IOException {
        Path runDir = work.resolve("run");
        Path events = Files.createDirectories(work.resolve("events"));
        List<String> args = new ArrayList<>(List.of("run", Cli.offlineConf().toString()));
        for (String o : List.of("run-dir=" + Cli.quoted(runDir), "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()), "teacher.model.layers=[{type=dense,name=h1,units=32}]",
                "teacher.train.epochs=1", "student.train.epochs=1", "soft-targets.taps=[h1]")) {
            args.add("-P");
            args.add(o);
        }
        List<String> confs = List.of("spark.ui.enabled=false", "spark.eventLog.enabled=true",
                "spark.eventLog.dir=file://" + events);
        StandaloneCluster.Submission s = cluster.submitAsync(privateProperties("app.conf", SECRET), confs,
                args.toArray(new String[0])).await(Duration.ofMinutes(6));
        assertEquals(0, s.exit(), s::toString);
        for (String stage : List.of("teacher", "soft-targets", "student", "baseline", "evaluation")) {
            assertTrue(Files.isRegularFile(runDir.resolve(stage).resolve(ArtifactFiles.SUCCESS)), stage);
            assertTrue(Files.isRegularFile(runDir.resolve(stage).resolve(ArtifactFiles.METADATA)), stage);
        }

        // In effect on the driver (the event log's environment) and on the executors (their launch command)...
        JsonNode props = sparkProperties(events);
        assertEquals("true", props.path("spark.authenticate").asText(), props::toString);
        assertEquals("true", props.path("spark.network.crypto.enabled").asText(), props::toString);
        assertEquals("*********(redacted)", props.path("spark.authenticate.secret").asText(), props::toString);
        ClusterChecks.Tasks tasks = ClusterChecks.tasks(events);
        assertFalse(tasks.succeededPerExecutor().isEmpty() || tasks.succeededPerExecutor().containsKey("driver"),
                tasks::toString);
        List<Path> stderrs = SecretScan.files(cluster.stateDir(), "stderr");
        assertFalse(stderrs.isEmpty(), "no executor stderr under " + cluster.stateDir());
        for (Path stderr : stderrs) {
            String log = Files.readString(stderr, StandardCharsets.UTF_8);
            assertTrue(log.contains("-Dspark.authenticate=true") && log.contains("-Dspark.network.crypto.enabled=true"),
                    stderr + " does not show an authenticated, encrypted executor");
        }

        // ... and the secret in none of: driver output, Master/Worker logs, executor logs, metadata, event log.
        SecretScan scan = SecretScan.of(List.of(cluster.stateDir(), runDir, events), SECRET, WRONG_SECRET);
        System.out.println("[cluster] " + scan);
        assertEquals(List.of(), scan.hits(), scan::toString);
        for (String kind : List.of("master.log", "worker-1.log", "worker-2.log", "stderr", "stdout", "submit-1.log",
                "submit-2.log", ArtifactFiles.METADATA)) {
            assertTrue(scan.scanned().stream().anyMatch(p -> p.getFileName().toString().equals(kind)),
                    "nothing named " + kind + " was scanned: " + scan);
        }
        assertTrue(scan.scanned().stream().anyMatch(p -> p.startsWith(events)), "no event log scanned");
        // The scan itself finds them where they are: the three properties files.
        assertEquals(3, SecretScan.of(List.of(work.resolve("conf")), SECRET, WRONG_SECRET).hits().size());
        System.out.printf("[cluster] authenticated, encrypted run: %.1f s%n", s.seconds());
    }

    /** A properties file with authentication and encryption on, readable only by this user (mode 600). */
    private static Path privateProperties(String name, String secret) throws IOException {
        Path dir = Files.createDirectories(work.resolve("conf"));
        Path file = dir.resolve(name);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, "spark.authenticate true\nspark.authenticate.secret " + secret
                + "\nspark.network.crypto.enabled true\n");
        return file;
    }

    /** The "Spark Properties" of the one application's environment update in the event log dir. */
    private static JsonNode sparkProperties(Path events) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Path> logs;
        try (var s = Files.list(events)) {
            logs = s.toList();
        }
        assertEquals(1, logs.size(), "event logs: " + logs);
        for (String line : Files.readAllLines(logs.get(0), StandardCharsets.UTF_8)) {
            JsonNode e = json.readTree(line);
            if (e.path("Event").asText().equals("SparkListenerEnvironmentUpdate")) {
                return e.path("Spark Properties");
            }
        }
        throw new AssertionError("no SparkListenerEnvironmentUpdate in " + logs.get(0));
    }
}
