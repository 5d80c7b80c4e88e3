package io.distillery.jobs;

import io.distillery.model.ModelArtifact;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.ChildCli;
import io.distillery.testing.Cli;
import io.distillery.testing.LocalSparkForJobs;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training beyond memory: {@code distill} in a child JVM whose heap is half the store's decoded rows trains to
 * exactly the model a child with room for everything trains. The sample's 3,000 training rows are repeated
 * {@value #COPIES} times under new ids (330,000 rows of 784 features: 1.06 GB as floats with their labels and
 * logits, against a {@value #SMALL_HEAP} heap of which Spark may use about 130 MB for cached blocks), one epoch.
 * Both runs pack the same blocks in the same order; the small one must keep most of them on disk. (The children's
 * logs stay in {@code target/streaming-heap}.)
 */
class StreamingHeapTest {
    private static final int COPIES = 110;
    private static final String SMALL_HEAP = "512m";
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    @TempDir
    static Path base;

    @Test
    void aStoreTwiceTheHeapTrainsToTheSameModelAsARunThatHoldsItInMemory() {
        Path train = base.resolve("train-x" + COPIES);
        SparkSession spark = LocalSparkForJobs.session();
        try {
            Dataset<Row> sample = spark.read().parquet(Cli.sampleTrain().toString());
            sample.crossJoin(spark.range(COPIES).withColumnRenamed("id", "copy"))
                    .selectExpr("id * " + COPIES + " + copy as id", "label", "features")
                    .repartition(8).write().parquet(train.toString());
        } finally {
            spark.stop();
        }
        Path shared = base.resolve("shared");
        List<String> o = Cli.runOn(shared, train);
        o.addAll(Cli.tinyTeacher(16));
        // Few long rounds (2 x 256 x 40 rows each): the test is about memory, not about rounds.
        o.addAll(List.of("soft-targets.taps=[]", "soft-targets.batch-size=4096", "student.train.epochs=1",
                "student.train.block-mb=4", "student.train.batch-size=256", "student.train.averaging-frequency=40"));
        // The teacher learns from the sample; its soft targets cover all 330,000 rows.
        List<String> teacher = new ArrayList<>(o);
        teacher.set(teacher.indexOf("data.train=" + Cli.quoted(train)), "data.train=" + Cli.quoted(Cli.sampleTrain()));
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), teacher)).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o)).exit());

        Cli.Result small = distill("small-heap", SMALL_HEAP, o);
        Cli.Result large = distill("large-heap", "4g", o);
        assertTrue(onDiskMb(small) > 500, "the small heap kept most blocks on disk:\n" + small.err());
        assertEquals(0, onDiskMb(large), "the large heap held every block in memory");
        float[] smallParams = params(base.resolve("small-heap/student"));
        float[] largeParams = params(base.resolve("large-heap/student"));
        assertArrayEquals(largeParams, smallParams, 0f, "same blocks, same order, same model");
    }

    private static Cli.Result distill(String name, String heap, List<String> overrides) {
        List<String> o = new ArrayList<>(overrides);
        o.add("student.path=" + Cli.quoted(base.resolve(name + "/student")));
        Cli.Result r = ChildCli.run(Path.of("target", "streaming-heap"), name, List.of("-Xmx" + heap), TIMEOUT,
                Cli.args("distill", Cli.offlineConf(), o));
        assertEquals(0, r.exit(), r::toString);
        return r;
    }

    /** The training blocks on local disk once packed, as the run logged it. */
    private static long onDiskMb(Cli.Result r) {
        Matcher m = Pattern.compile("2 worker\\(s\\) x \\d+ block\\(s\\) of .* cached: \\d+ MB in memory, (\\d+) MB on "
                + "local disk").matcher(r.err());
        assertTrue(m.find(), "no storage line in:\n" + r.err());
        return Long.parseLong(m.group(1));
    }

    private static float[] params(Path student) {
        return ModelArtifact.load(ArtifactFiles.local(), student.toString()).params().toFloatVector();
    }
}
