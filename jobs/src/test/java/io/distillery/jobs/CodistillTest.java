package io.distillery.jobs;

import io.distillery.testing.Cli;
import io.distillery.testing.OutcomeReport;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code codistill} through the CLI on a 600-row slice of the sample: co-distillation writes one model per name and
 * the schedule that happened, {@code evaluate} reports their disagreement, mutual learning trains two different
 * architectures, the teacher's store can be mixed in, and every bad co-distillation config is one sentence, exit 2,
 * nothing written.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class CodistillTest {
    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport("CodistillTest",
            "Bad co-distillation config (in-process CLI, Spark local[2])",
            "Each case runs `codistill` with one bad setting; the contract is exit 2, one `error:` sentence naming the "
                    + "key and the value, and nothing at `codistill.path`.");

    @TempDir
    static Path base;
    private static Path train;

    @BeforeAll
    static void slice() {
        train = base.resolve("train");
        SparkSession spark = SparkSession.builder().master("local[2]").appName("CodistillTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        try {
            spark.read().parquet(Cli.sampleTrain().toString()).orderBy("id").limit(600).coalesce(2)
                    .write().parquet(train.toString());
        } finally {
            spark.stop();
        }
    }

    private static Path conf(String name) {
        return Cli.repo().resolve("conf/" + name);
    }

    /**
     * Small and quick: 16 hidden units, 2 epochs of 600 rows in minibatches of 32, averaged every 2 (300 rows per
     * worker: 10 minibatches, 5 rounds per epoch), a burn-in of 0.4 epochs (2 rounds).
     */
    private static List<String> small(Path runDir, String... more) {
        List<String> o = Cli.runOn(runDir, train);
        o.addAll(List.of("student.model.layers=[{type=dense,name=hidden1,units=16}]", "student.train.epochs=2",
                "student.train.batch-size=32", "student.train.averaging-frequency=2", "codistill.burn-in=0.4"));
        o.addAll(List.of(more));
        return o;
    }

    @Test
    void codistillWritesEveryModelAndTheScheduleAndEvaluateMeasuresDisagreement() throws IOException {
        Path runDir = base.resolve("codistill");
        Cli.Result r = Cli.run(Cli.args("codistill", conf("fashion-mnist-codistill.conf"),
                small(runDir, "codistill.exchange-period=3")));
        assertEquals(0, r.exit(), r::toString);
        Path out = runDir.resolve("codistill");
        for (String m : List.of("a", "b")) {
            assertTrue(Files.exists(out.resolve(m + "/model.zip")) && Files.exists(out.resolve(m + "/_SUCCESS")), m);
        }
        List<String> schedule = Files.readAllLines(out.resolve(CodistillJob.SCHEDULE_FILE));
        assertEquals("round\tmodel\tlearnt_from", schedule.get(0));
        assertEquals(List.of("0\ta\t-", "0\tb\t-", "1\ta\t-", "1\tb\t-", "2\ta\tpeer:b@2 w=1.0",
                "2\tb\tpeer:a@2 w=1.0", "3\ta\tpeer:b@2 w=1.0"), schedule.subList(1, 8));
        assertTrue(schedule.contains("9\tb\tpeer:a@8 w=1.0"), schedule::toString);
        String metadata = Files.readString(out.resolve("metadata.json"));
        assertTrue(metadata.contains("\"exchanges\" : \"3\"") && metadata.contains("\"burn-in-rounds\" : \"2\""),
                metadata);
        assertFalse(Files.exists(base.resolve("codistill/codistill.checkpoints")), "checkpoints are cleared");

        Cli.Result e = Cli.run(Cli.args("evaluate", conf("fashion-mnist-codistill.conf"), small(runDir),
                "--model", "a=" + out.resolve("a"), "--model", "b=" + out.resolve("b")));
        assertEquals(0, e.exit(), e::toString);
        String metrics = Files.readString(runDir.resolve("evaluation/metrics.json"));
        assertTrue(metrics.contains("\"disagreement\"") && metrics.contains("\"a|b\""), metrics);
    }

    @Test
    void mutualLearningTrainsTwoArchitecturesFromTheRunCommand() throws IOException {
        Path runDir = base.resolve("mutual");
        Cli.Result r = Cli.run(Cli.args("run", conf("fashion-mnist-mutual.conf"),
                small(runDir, "codistill.burn-in=0")));
        assertEquals(0, r.exit(), r::toString);
        Path out = runDir.resolve("mutual");
        List<String> schedule = Files.readAllLines(out.resolve(CodistillJob.SCHEDULE_FILE));
        // Every round reads the other's snapshot of that very round, from the first round on.
        assertEquals(List.of("0\twide\tpeer:deep@0 w=1.0", "0\tdeep\tpeer:wide@0 w=1.0", "1\twide\tpeer:deep@1 w=1.0"),
                schedule.subList(1, 4));
        long wide = Files.size(out.resolve("wide/model.zip"));
        long deep = Files.size(out.resolve("deep/model.zip"));
        assertNotEquals(wide, deep, "the two students have different architectures");
        String metrics = Files.readString(runDir.resolve("evaluation/metrics.json"));
        assertTrue(metrics.contains("\"wide\"") && metrics.contains("\"deep\"") && metrics.contains("wide|deep"),
                metrics);
    }

    @Test
    void modelsAlsoLearnFromTheTeachersStore() throws IOException {
        Path runDir = base.resolve("with-teacher");
        List<String> o = small(runDir, "codistill.teacher-weight=0.5", "schemes=[codistill]");
        o.addAll(Cli.tinyTeacher(16));
        Cli.Result r = Cli.run(Cli.args("run", conf("fashion-mnist-codistill.conf"), o));
        assertEquals(0, r.exit(), r::toString);
        assertTrue(Files.exists(runDir.resolve("soft-targets/_SUCCESS")), "run made the teacher's store first");
        String metadata = Files.readString(runDir.resolve("codistill/metadata.json"));
        assertTrue(metadata.contains("1 * ce + 0.5 * kd(T=4) + w_round * (1 * kd(T=1)) [peers]"), metadata);
        assertTrue(Files.exists(runDir.resolve("codistill/b/_SUCCESS")));
    }

    private static void refused(String testCase, List<String> settings, String... expected) {
        Path runDir = base.resolve("bad-" + testCase.replaceAll("[^a-z0-9]+", "-"));
        List<String> o = small(runDir);
        o.addAll(settings);
        Cli.Result r = Cli.run(Cli.args("codistill", conf("fashion-mnist-codistill.conf"), o));
        boolean written = Files.exists(runDir.resolve("codistill"));
        REPORT.observe(testCase, "codistill -P " + String.join(" -P ", settings), "exit 2; names "
                        + String.join(", ", expected), String.format("exit %d; `%s`; output written: %s", r.exit(),
                r.error().replace(base.toString(), "<tmp>"), written ? "yes" : "no"));
        assertEquals(2, r.exit(), r::toString);
        for (String e : expected) {
            assertTrue(r.error().contains(e), "'" + e + "' is not in: " + r.error());
        }
        assertFalse(r.error().contains("\n"), "one sentence: " + r.error());
        assertFalse(written, "something was written at codistill.path");
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
    }

    @Test
    void oneModelIsNotCodistillation() {
        refused("fewer than 2 models", List.of("codistill.models=[{name=a}]"), "distillery.codistill.models",
                "1 model", "at least 2");
    }

    @Test
    void unknownLayerTypeInOneModel() {
        refused("unknown layer type in one model",
                List.of("codistill.models=[{name=a},{name=b,layers=[{type=lstm,units=8}]}]"),
                "distillery.codistill.models[1].layers", "lstm");
    }

    @Test
    void exchangePeriodZero() {
        refused("exchange period 0", List.of("codistill.exchange-period=0"), "distillery.codistill.exchange-period",
                "is 0");
    }

    @Test
    void burnInLongerThanTraining() {
        refused("burn-in longer than training", List.of("codistill.burn-in=5"), "distillery.codistill.burn-in",
                "5.0", "train.epochs is 2");
    }

    @Test
    void shardsThatLeaveAModelNoRows() {
        refused("shards that leave a model no rows", List.of("codistill.data=shards", "codistill.train.workers=1"),
                "distillery.codistill.data", "shards", "'b' would have no rows");
    }

    @Test
    void duplicateModelNames() {
        refused("two models with one name", List.of("codistill.models=[{name=a},{name=a}]"),
                "distillery.codistill.models[1].name", "'a'");
    }
}
