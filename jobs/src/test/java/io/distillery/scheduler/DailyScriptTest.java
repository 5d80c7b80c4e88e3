package io.distillery.scheduler;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.testing.ChildCli;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code deploy/scheduler/daily.sh} on the sample split into two date partitions, the CLI in child JVMs: the first
 * day trains the teacher, makes the store, passes the gate (no previous run) and is published; the second day adds
 * its partition to the store, passes the gate against the first and is published; a rerun of the second day with a
 * threshold it cannot meet exits 3, writes the failing numbers and the verdict into its metrics.json, and leaves
 * the published release as it was.
 */
class DailyScriptTest {
    private static final String DAY1 = "2026-11-25";
    private static final String DAY2 = "2026-11-26";

    @Test
    void gatesAndPublishesEachDay(@TempDir Path dir) throws IOException, InterruptedException {
        Path input = twoDatePartitions(dir.resolve("by-date"));
        Path conf = dir.resolve("daily.conf");
        Files.writeString(conf, "include file(" + Cli.quoted(Cli.offlineConf()) + ")\n"
                + "distillery {\n"
                + "  data { train = " + Cli.quoted(input) + ", test = " + Cli.quoted(Cli.sampleTest())
                + ", partition-columns = [date] }\n"
                + "  teacher { model.layers = [ { type = dense, name = h1, units = 32 } ], train.epochs = 1 }\n"
                + "  soft-targets.taps = [ h1 ]\n"
                + "  student.train.epochs = 3\n"
                + "  evaluate.gate {\n"
                + "    min-accuracy { student = 0.35 }\n"
                + "    min-agreement-with-teacher { student = 0.35 }\n"
                + "    max-accuracy-drop { student = 0.10 }\n"
                + "  }\n"
                + "}\n");
        Path runDir = dir.resolve("run");
        Path launcher = ChildCli.launcher(dir.resolve("bin/distill"),
                List.of("-Xmx2g", "-Dspark.sql.shuffle.partitions=2"));

        // Day 1: only its partition has landed.
        Path day2 = input.resolve("date=" + DAY2);
        Path held = dir.resolve("later-" + DAY2);
        Files.move(day2, held);
        Run first = daily(dir, launcher, conf, runDir, DAY1);
        assertEquals(0, first.exit, first::toString);
        Map<String, Object> gate1 = gate(runDir.resolve("daily/" + DAY1));
        assertEquals(true, gate1.get("passed"), gate1::toString);
        assertTrue(gate1.get("notes").toString().contains("No previous metrics at " + runDir
                + "/published/evaluation/metrics.json"), gate1::toString);
        assertTrue(Files.isRegularFile(runDir.resolve("published/student/_SUCCESS")));
        String release1 = Files.readSymbolicLink(runDir.resolve("published")).toString();
        assertTrue(release1.startsWith("releases/" + DAY1 + "-"), release1);

        // Day 2: its partition lands; the store grows by it, the gate compares with day 1.
        Files.move(held, day2);
        Run second = daily(dir, launcher, conf, runDir, DAY2);
        assertEquals(0, second.exit, second::toString);
        assertEquals(List.of("date=" + DAY1, "date=" + DAY2), partitions(runDir.resolve("soft-targets")));
        Map<String, Object> gate2 = gate(runDir.resolve("daily/" + DAY2));
        assertEquals(true, gate2.get("passed"), gate2::toString);
        assertEquals(List.of(), gate2.get("notes"), "day 2 has a previous run to compare with");
        assertEquals(runDir + "/published/evaluation/metrics.json", gate2.get("previous"));
        String release2 = Files.readSymbolicLink(runDir.resolve("published")).toString();
        assertTrue(release2.startsWith("releases/" + DAY2 + "-"), release2);
        Map<String, String> published = Cli.snapshot(runDir.resolve(release2));

        // Day 2 again, with a threshold no student of the sample meets: exit 3, nothing published.
        Run failing = daily(dir, launcher, conf, runDir, DAY2, "-P", "evaluate.gate.min-accuracy.student=0.99");
        assertEquals(3, failing.exit, failing::toString);
        List<String> errors = failing.log.lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), failing::toString);
        for (Run r : List.of(first, second)) {
            r.log.lines().filter(l -> l.contains("EvaluateJob: evaluate:")).forEach(System.out::println);
        }
        System.out.println("failing run: " + errors.get(0));
        assertTrue(errors.get(0).matches("error: Model student has accuracy 0\\.\\d{4}, below "
                + "distillery\\.evaluate\\.gate\\.min-accuracy\\.student = 0\\.99\\."), errors.get(0));
        assertTrue(failing.log.contains("the gate failed: not published"), failing::toString);
        Map<String, Object> gate3 = gate(runDir.resolve("daily/" + DAY2));
        assertEquals(false, gate3.get("passed"));
        assertEquals(List.of(errors.get(0).substring("error: ".length())), gate3.get("violations"));
        assertEquals(release2, Files.readSymbolicLink(runDir.resolve("published")).toString());
        assertEquals(published, Cli.snapshot(runDir.resolve(release2)), "the published release changed");
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
    }

    /** The sample's two Parquet files (ids sorted, 1,500 rows each) as the partitions of two days. */
    private static Path twoDatePartitions(Path input) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Cli.sampleTrain())) {
            files = s.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
        assertEquals(2, files.size());
        for (int i = 0; i < 2; i++) {
            Path day = Files.createDirectories(input.resolve("date=" + (i == 0 ? DAY1 : DAY2)));
            Files.copy(files.get(i), day.resolve(files.get(i).getFileName()));
        }
        return input;
    }

    private record Run(int exit, String log, double seconds) {
        @Override
        public String toString() {
            return String.format("exit %d in %.1f s; output:%n%s", exit, seconds, log);
        }
    }

    private static Run daily(Path dir, Path launcher, Path conf, Path runDir, String date, String... more)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", Cli.repo().resolve("deploy/scheduler/daily.sh").toString(),
                conf.toString(), runDir.toString(), date));
        cmd.addAll(List.of(more));
        Path log = Files.createTempFile(dir, "daily-" + date + "-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("DISTILL", launcher.toString());
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("daily.sh " + date + " still running after 5 minutes:\n" + Files.readString(log));
        }
        Run r = new Run(p.exitValue(), Files.readString(log), (System.nanoTime() - t0) / 1e9);
        System.out.printf("daily.sh %s %s -> exit %d in %.1f s%n", date, String.join(" ", more), r.exit, r.seconds);
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> gate(Path day) throws IOException {
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                Files.readString(day.resolve("evaluation/metrics.json")), new TypeReference<>() {
                });
        return (Map<String, Object>) metrics.get("gate");
    }

    private static List<String> partitions(Path store) throws IOException {
        try (Stream<Path> s = Files.list(store)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("date=")).sorted().toList();
        }
    }
}
