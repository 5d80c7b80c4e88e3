package io.distillery.jobs;

import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.PartitionDirs;
import io.distillery.testing.Cli;
import io.distillery.testing.LocalSparkForJobs;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code soft-targets.incremental}: a daily run over date-partitioned data computes only the dates the store lacks,
 * leaves the stored dates byte for byte as they were, and refuses (exit 2, store untouched) to extend a store whose
 * stored dates changed in the input or that another teacher made.
 */
class IncrementalSoftTargetsTest {
    private static final List<String> DAYS = List.of("2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28");

    @Test
    void addsOnlyTheMissingDatesAndKeepsTheStoredOnes(@TempDir Path dir) throws IOException {
        Path input = dir.resolve("by-date");
        List<String> o = overrides(dir, input);
        Path store = storeOfTheFirstTwoDays(dir, input, o);
        assertEquals(List.of("date=2026-11-25", "date=2026-11-26"), partitions(store));
        assertEquals(Set.of("date=2026-11-25", "date=2026-11-26"), storedHashes(store).keySet());
        Map<String, String> before = Cli.snapshot(store.resolve("date=2026-11-25"));

        writeDays(input, List.of(2));
        Cli.Result added = Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o));
        assertEquals(0, added.exit(), added::toString);
        assertEquals(List.of("date=2026-11-25", "date=2026-11-26", "date=2026-11-27"), partitions(store));
        assertEquals(before, Cli.snapshot(store.resolve("date=2026-11-25")), "a stored date was rewritten");
        assertEquals(3, storedHashes(store).size());
        assertStoreMatchesInput(input, store);
        assertEquals(List.of(), Cli.leftoverTemps(dir.resolve("run")));

        Map<String, String> complete = Cli.snapshot(store);
        Cli.Result again = Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o));
        assertEquals(0, again.exit(), again::toString);
        assertEquals(complete, Cli.snapshot(store), "nothing to add, yet the store changed");

    }

    @Test
    void refusesAStoreWhoseStoredDateChangedOrThatAnotherTeacherMade(@TempDir Path dir) throws IOException {
        Path input = dir.resolve("by-date");
        List<String> o = overrides(dir, input);
        Path store = storeOfTheFirstTwoDays(dir, input, o);
        Map<String, String> stored = Cli.snapshot(store);

        // Another teacher (another seed) at another path.
        List<String> other = new ArrayList<>(o);
        other.add("teacher.path=" + Cli.quoted(dir.resolve("other-teacher")));
        other.add("seed=7");
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), other)).exit());
        writeDays(input, List.of(2));
        Cli.Result wrongTeacher = Cli.run(Cli.args("soft-targets", Cli.offlineConf(), other));
        assertEquals(2, wrongTeacher.exit(), wrongTeacher::toString);
        assertTrue(wrongTeacher.err().contains("has teacher-hash = '"), wrongTeacher::toString);
        assertEquals(stored, Cli.snapshot(store));

        // A stored date re-delivered with other rows.
        Path day = input.resolve("date=2026-11-25");
        try (var files = Files.list(day)) {
            Path first = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.delete(first);
        }
        Cli.Result changed = Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o));
        assertEquals(2, changed.exit(), changed::toString);
        assertTrue(changed.err().contains("Input partition date=2026-11-25 changed since store"), changed::toString);
        assertEquals(stored, Cli.snapshot(store));
        assertEquals(List.of(), Cli.leftoverTemps(dir.resolve("run")));
    }

    /** 200 rows of the sample per day, ids kept, under {@code date=<day>/} (appended, so days can arrive later). */
    private static void writeDays(Path input, List<Integer> days) {
        SparkSession spark = LocalSparkForJobs.session();
        try {
            Dataset<Row> sample = spark.read().parquet(Cli.sampleTrain().toString());
            for (int d : days) {
                sample.where(col("id").mod(DAYS.size()).equalTo(d)).limit(200)
                        .withColumn("date", lit(DAYS.get(d)))
                        .write().mode(SaveMode.Append).partitionBy("date").parquet(input.toString());
            }
        } finally {
            spark.stop();
        }
    }

    private static void assertStoreMatchesInput(Path input, Path store) {
        SparkSession spark = LocalSparkForJobs.session();
        try {
            Dataset<Row> in = spark.read().parquet(input.toString()).select("id", "date");
            Dataset<Row> out = spark.read().option("pathGlobFilter", "*.parquet").parquet(store.toString())
                    .select("id", "date");
            assertEquals(in.count(), out.count());
            assertEquals(out.count(), out.select("id").distinct().count(), "duplicate ids in the store");
            assertEquals(0, in.except(out).count());
        } finally {
            spark.stop();
        }
    }

    private static List<String> partitions(Path store) {
        return PartitionDirs.list(io.distillery.store.ArtifactFiles.local(), store.toString(), List.of("date"));
    }

    /** Writes the first two days under {@code input}, trains a teacher and makes the store; returns its path. */
    private static Path storeOfTheFirstTwoDays(Path dir, Path input, List<String> overrides) throws IOException {
        writeDays(input, List.of(0, 1));
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), overrides)).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), overrides)).exit());
        return dir.resolve("run/soft-targets");
    }

    private static Map<String, String> storedHashes(Path store) throws IOException {
        Provenance p = ProvenanceJson.fromJson(Files.readString(store.resolve("metadata.json")), "metadata.json");
        return new TreeMap<>(PartitionDirs.decode(p.fact(IncrementalSoftTargets.PARTITION_HASHES)));
    }

    private static List<String> overrides(Path dir, Path input) {
        List<String> o = Cli.runOn(dir.resolve("run"), input);
        o.addAll(Cli.tinyTeacher(32));
        o.addAll(List.of("data.partition-columns=[date]", "soft-targets.incremental=true", "soft-targets.taps=[h1]"));
        return o;
    }
}
