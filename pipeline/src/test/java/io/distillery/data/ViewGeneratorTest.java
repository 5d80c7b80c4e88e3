package io.distillery.data;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link ViewGenerator}: the two views on a hand-computed 4x4 image written and read back through Spark, the
 * canonical marker dropped so the config's names apply, and the committed two-view sample consistent with its
 * pixels.
 */
class ViewGeneratorTest {
    private static SparkSession spark;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = TestSupport.spark();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Pixels 0, 1, ..., 15, row-major: row y holds 4y .. 4y + 3. */
    private static List<Float> ramp() {
        List<Float> pixels = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            pixels.add((float) i);
        }
        return pixels;
    }

    private static Path writeInput() {
        Path in = dir.resolve("in");
        if (!Files.exists(in)) {
            List<Row> rows = List.of(RowFactory.create(7L, 3, ramp()));
            spark.createDataFrame(rows, Canonical.SCHEMA).write().parquet(in.toString());
        }
        return in;
    }

    @Test
    void profileIsTheRowMeansThenTheColumnMeans() {
        Path out = dir.resolve("profile");
        ViewGenerator.write(spark, ViewGenerator.PROFILE, writeInput().toString(), out.toString(), 1);
        Dataset<Row> written = spark.read().parquet(out.toString());
        Row r = written.collectAsList().get(0);
        assertEquals(7L, r.getLong(r.fieldIndex("id")));
        assertEquals(3, r.getInt(r.fieldIndex("label")));
        assertEquals(ramp(), r.getList(r.fieldIndex("features")));
        // Rows: (0+1+2+3)/4 = 1.5, then 5.5, 9.5, 13.5. Columns: (0+4+8+12)/4 = 6, then 7, 8, 9.
        assertEquals(List.of(1.5f, 5.5f, 9.5f, 13.5f, 6f, 7f, 8f, 9f), r.getList(r.fieldIndex("profile")));
        assertFalse(Canonical.isCanonical(written.schema()), "the output is plain data, read by the config's names");
    }

    @Test
    void smallIsTheImageAveragePooledInFourByFourBlocks() {
        Path out = dir.resolve("small");
        ViewGenerator.write(spark, ViewGenerator.SMALL, writeInput().toString(), out.toString(), 1);
        Row r = spark.read().parquet(out.toString()).collectAsList().get(0);
        assertEquals(List.of(7.5f), r.getList(r.fieldIndex("small")), "(0 + 1 + ... + 15) / 16");
        float[] eight = new float[64];
        eight[8 * 5 + 6] = 16f;  // one bright pixel in the bottom-right block
        assertArrayEquals(new float[]{0, 0, 0, 1}, ViewGenerator.small(eight));
    }

    @Test
    void theCommittedSampleHoldsTheProfileOfItsPixels() {
        Path views = TestSupport.samples().resolve("fashion-mnist-views");
        for (String split : List.of("train", "test")) {
            Dataset<Row> rows = spark.read().option("pathGlobFilter", "*.parquet")
                    .parquet(views.resolve(split).toString());
            long original = spark.read().option("pathGlobFilter", "*.parquet")
                    .parquet(TestSupport.samples().resolve("fashion-mnist").resolve(split).toString()).count();
            assertEquals(original, rows.count(), split);
            for (Row r : rows.orderBy("id").limit(3).collectAsList()) {
                List<Float> f = r.getList(r.fieldIndex("features"));
                float[] pixels = new float[f.size()];
                for (int i = 0; i < pixels.length; i++) {
                    pixels[i] = f.get(i);
                }
                List<Float> profile = r.getList(r.fieldIndex("profile"));
                assertEquals(56, profile.size());
                float[] stored = new float[56];
                for (int i = 0; i < 56; i++) {
                    stored[i] = profile.get(i);
                }
                assertArrayEquals(ViewGenerator.profile(pixels), stored, split + " row " + r.getLong(0));
            }
        }
    }
}
