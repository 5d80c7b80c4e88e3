package io.distillery.jobs;

import io.distillery.testing.Cli;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two shapes the sample run does not cover: a date-partitioned input, whose store keeps the same partitions and
 * rows, and a convolutional teacher whose tapped conv layer is stored flattened, feeding an MLP student.
 */
class PartitionedAndConvolutionalTest {

    @Test
    void storeKeepsTheInputsDatePartitions(@TempDir Path dir) {
        Path input = dir.resolve("by-date");
        SparkSession spark = io.distillery.testing.LocalSparkForJobs.session();
        try {
            Dataset<Row> sample = spark.read().parquet(Cli.sampleTrain().toString()).limit(600);
            sample.withColumn("date", when(col("id").mod(2).equalTo(0), lit("2026-11-27")).otherwise(lit("2026-11-28")))
                    .write().partitionBy("date").parquet(input.toString());
        } finally {
            spark.stop();
        }
        List<String> o = common(dir, input);
        o.add("data.partition-columns=[date]");
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), o)).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o)).exit());

        Path store = dir.resolve("run/soft-targets");
        assertTrue(Files.isDirectory(store.resolve("date=2026-11-27")));
        assertTrue(Files.isDirectory(store.resolve("date=2026-11-28")));
        spark = io.distillery.testing.LocalSparkForJobs.session();
        try {
            Dataset<Row> in = spark.read().parquet(input.toString());
            Dataset<Row> out = spark.read().option("pathGlobFilter", "*.parquet").parquet(store.toString());
            for (String date : List.of("2026-11-27", "2026-11-28")) {
                assertEquals(in.where(col("date").equalTo(date)).count(),
                        out.where(col("date").equalTo(date)).count(), "rows of " + date);
            }
            assertEquals(0, in.select("id", "date").except(out.select("id", "date")).count());
        } finally {
            spark.stop();
        }
    }

    @Test
    void convolutionalTeacherWithATappedConvLayer(@TempDir Path dir) {
        List<String> o = common(dir, Cli.sampleTrain());
        o.add("data.input-shape=[1,28,28]");
        o.add("teacher.model.layers=[{type=conv,name=conv1,units=4,kernel=5},{type=pool,kernel=2},"
                + "{type=dense,name=h1,units=32}]");
        o.add("soft-targets.taps=[conv1]");
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), o)).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o)).exit());
        assertEquals(0, Cli.run(Cli.args("distill", Cli.offlineConf(), o)).exit());

        SparkSession spark = io.distillery.testing.LocalSparkForJobs.session();
        try {
            Dataset<Row> store = spark.read().option("pathGlobFilter", "*.parquet")
                    .parquet(dir.resolve("run/soft-targets").toString());
            // conv 5x5 over 28x28, 4 filters, stride 1, no padding: 4 x 24 x 24 activations per row.
            Row widths = store.select(size(col("tap_conv1")), size(col("teacher_logits"))).first();
            assertEquals(4 * 24 * 24, widths.getInt(0));
            assertEquals(10, widths.getInt(1));
        } finally {
            spark.stop();
        }
        assertTrue(Files.exists(dir.resolve("run/student/model.zip")));
    }

    private static List<String> common(Path dir, Path train) {
        List<String> o = Cli.runOn(dir.resolve("run"), train);
        o.addAll(Cli.tinyTeacher(32));
        o.addAll(List.of("student.train.epochs=1", "soft-targets.taps=[]"));
        return o;
    }
}
