package io.distillery.jobs;

import io.distillery.testing.Cli;
import io.distillery.train.ValidationSplit;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code data.validation-fraction} and {@code train.patience} through the CLI on the sample: the validation rows
 * are disjoint from the training rows and together they are the training set; the teacher and the student measure
 * their per-epoch accuracy on them, stop early and record the epoch they kept.
 */
class ValidationAndEarlyStoppingTest {

    @Test
    void validationRowsAreDisjointFromTrainingRowsAndCoverTheRest() {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("ValidationSplit")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Dataset<Row> all = spark.read().parquet(Cli.sampleTrain().toString()).select("id");
            FilterFunction<Row> held = r -> ValidationSplit.isValidation(r.getLong(0), 0.2);
            Dataset<Row> validation = all.filter(held);
            Dataset<Row> training = all.filter((FilterFunction<Row>) r -> !ValidationSplit.isValidation(r.getLong(0),
                    0.2));
            assertEquals(all.count(), validation.count() + training.count());
            assertEquals(0, validation.intersect(training).count());
            assertTrue(Math.abs(validation.count() - 0.2 * all.count()) < 0.03 * all.count(), validation.count()
                    + " of " + all.count());
        } finally {
            spark.stop();
        }
    }

    @Test
    void teacherAndStudentStopEarlyOnTheValidationRows(@TempDir Path dir) throws IOException {
        List<String> o = Cli.runOn(dir, Cli.sampleTrain());
        o.addAll(List.of("teacher.model.layers=[{type=dense,name=h1,units=32}]", "teacher.train.epochs=30",
                "teacher.train.patience=2", "student.train.epochs=30", "student.train.patience=2",
                "data.validation-fraction=0.2", "soft-targets.taps=[]"));
        for (String stage : List.of("train-teacher", "soft-targets", "distill")) {
            Cli.Result r = Cli.run(Cli.args(stage, Cli.offlineConf(), o));
            assertEquals(0, r.exit(), r::toString);
        }
        for (String model : List.of("teacher", "student")) {
            String metadata = Files.readString(dir.resolve(model + "/metadata.json"));
            assertTrue(metadata.contains("\"held-out\" : \"the validation split (0.2 of data.train, by id)\""),
                    model + " does not record where its per-epoch figure comes from: " + metadata);
            int trained = fact(metadata, "epochs-trained");
            int best = fact(metadata, "best-epoch");
            assertTrue(trained < 30 && best == trained - 2, model + ": trained " + trained + ", kept " + best);
        }
    }

    @Test
    void aValidationSetOfItsOwnIsTheHeldOutSet(@TempDir Path dir) throws IOException {
        // The sample's second file set stands in for a validation set a user already has.
        Path validation = Cli.sampleTest();
        List<String> o = Cli.runOn(dir, Cli.sampleTrain());
        o.addAll(List.of("teacher.model.layers=[{type=dense,name=h1,units=16}]", "teacher.train.epochs=2",
                "data.validation=" + Cli.quoted(validation)));
        Cli.Result r = Cli.run(Cli.args("train-teacher", Cli.offlineConf(), o));
        assertEquals(0, r.exit(), r::toString);
        String metadata = Files.readString(dir.resolve("teacher/metadata.json"));
        assertTrue(metadata.contains("\"held-out\" : \"the validation set " + validation.toAbsolutePath() + "\""),
                metadata);

        o.add("data.validation-fraction=0.1");
        Cli.Result both = Cli.run(Cli.args("train-teacher", Cli.offlineConf(), o, "--overwrite"));
        assertEquals(2, both.exit(), both::toString);
        assertTrue(both.error().contains("distillery.data.validation-fraction (0.1)")
                && both.error().contains("distillery.data.validation"), both.error());
    }

    private static int fact(String metadata, String key) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + key + "\" : \"(\\d+)\"").matcher(metadata);
        assertTrue(m.find(), key + " not in " + metadata);
        return Integer.parseInt(m.group(1));
    }
}
