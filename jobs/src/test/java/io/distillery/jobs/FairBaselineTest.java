package io.distillery.jobs;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.store.SoftTargetSchema;
import io.distillery.testing.Cli;
import io.distillery.train.LabelledSubset;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The student alone trains on the labelled rows only, each repeated so that its epoch is about as long as the
 * student's, and under the same early-stopping rule: so that each model gets the training it needs.
 */
class FairBaselineTest {

    @Test
    void passesPerEpochMakeAnEpochAboutAsLongAsTheStudents() {
        assertEquals(1, Splits.baselinePasses(1.0));
        assertEquals(1, Splits.baselinePasses(0.8));
        assertEquals(2, Splits.baselinePasses(0.5));
        assertEquals(3, Splits.baselinePasses(0.3));
        assertEquals(5, Splits.baselinePasses(0.2));
        assertEquals(20, Splits.baselinePasses(0.05));
    }

    @Test
    void baselineRowsAreTheLabelledTrainingRowsEachRepeatedPerEpoch() {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("FairBaseline")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            DistilleryConfig cfg = ConfigLoader.load(Cli.offlineConf().toFile(), List.of("seed=7",
                    "distill.labelled-fraction=0.2", "data.validation-fraction=0.1"));
            JobContext ctx = JobContext.of(spark, cfg, false, false);
            Dataset<Row> all = spark.read().parquet(Cli.sampleTrain().toString());
            List<Row> rows = Splits.baselineRows(ctx, Splits.training(ctx, all)).select(SoftTargetSchema.ID)
                    .collectAsList();
            Map<Long, Integer> seen = new HashMap<>();
            rows.forEach(r -> seen.merge(r.getLong(0), 1, Integer::sum));
            long expected = all.select(SoftTargetSchema.ID).collectAsList().stream().mapToLong(r -> r.getLong(0))
                    .filter(id -> LabelledSubset.isLabelled(id, 7, 0.2))
                    .filter(id -> !io.distillery.train.ValidationSplit.isValidation(id, 0.1)).count();
            assertEquals(expected, seen.size(), "labelled training rows");
            seen.forEach((id, n) -> {
                assertTrue(LabelledSubset.isLabelled(id, 7, 0.2), "row " + id + " is not labelled");
                assertTrue(!io.distillery.train.ValidationSplit.isValidation(id, 0.1), "row " + id + " validates");
                assertEquals(5, n, "passes over row " + id);
            });
        } finally {
            spark.stop();
        }
    }

    @Test
    void baselineRecordsItsEpochsAndTheyReachTheTable(@TempDir Path dir) throws IOException {
        List<String> o = Cli.runOn(dir, Cli.sampleTrain());
        o.addAll(List.of("teacher.model.layers=[{type=dense,name=h1,units=32}]", "teacher.train.epochs=2",
                "student.train.epochs=30", "student.train.patience=2", "baseline.train.epochs=4",
                "baseline.train.patience=0", "distill.labelled-fraction=0.2", "soft-targets.taps=[]"));
        for (String stage : List.of("train-teacher", "soft-targets")) {
            Cli.Result r = Cli.run(Cli.args(stage, Cli.offlineConf(), o));
            assertEquals(0, r.exit(), r::toString);
        }
        Cli.Result baseline = Cli.run(Cli.args("distill", Cli.offlineConf(), o, "--baseline"));
        assertEquals(0, baseline.exit(), baseline::toString);
        String metadata = Files.readString(dir.resolve("baseline/metadata.json"));
        assertTrue(metadata.contains("\"trained-on\" : \"the labelled rows only, 5 passes over them per epoch\""),
                metadata);
        // baseline.train, not student.train: 4 epochs, no early stopping.
        assertTrue(metadata.contains("\"epochs-trained\" : \"4\"") && !metadata.contains("best-epoch"), metadata);
        Cli.Result evaluate = Cli.run(Cli.args("evaluate", Cli.offlineConf(), o));
        assertEquals(0, evaluate.exit(), evaluate::toString);
        String metrics = Files.readString(dir.resolve("evaluation/metrics.json"));
        assertTrue(metrics.contains("\"epochsTrained\" : 4"), metrics);
    }
}
