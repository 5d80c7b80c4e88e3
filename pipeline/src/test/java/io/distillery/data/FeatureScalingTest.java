package io.distillery.data;

import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Feature scaling on a hand-computed case: four rows, three features, the last one constant. Standard: mean and
 * population standard deviation; minmax: min and max - min; the constant feature only shifted (scale 1).
 */
class FeatureScalingTest {
    /** Features (x0, x1, x2): x0 = 1, 2, 3, 4; x1 = 0, 0, 10, 10; x2 = 5 (constant). */
    private static final float[][] ROWS = {{1, 0, 5}, {2, 0, 5}, {3, 10, 5}, {4, 10, 5}};
    private static SparkSession spark;
    private static Dataset<Row> data;

    @BeforeAll
    static void start() {
        spark = TestSupport.spark();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS.length; i++) {
            List<Float> f = new ArrayList<>();
            for (float v : ROWS[i]) {
                f.add(v);
            }
            rows.add(RowFactory.create((long) i, i % 2, f));
        }
        // Two partitions, so the per-partition statistics are merged.
        data = spark.createDataFrame(rows, Canonical.SCHEMA).repartition(2);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void standardIsMeanAndPopulationStd() {
        FeatureScaling s = FeatureScaling.fit(data, "standard", 3, "t");
        // x0: mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25; x1: mean 5, std 5; x2: mean 5, std 0 -> 1.
        float std0 = (float) Math.sqrt(1.25);
        assertEquals(0f, s.apply(2, 5f));
        assertEquals((1f - 2.5f) / std0, s.apply(0, 1f));
        assertEquals((4f - 2.5f) / std0, s.apply(0, 4f));
        assertEquals(-1f, s.apply(1, 0f));
        assertEquals(1f, s.apply(1, 10f));
        assertEquals(7f - 5f, s.apply(2, 7f), "a constant feature is shifted, not divided by 0");
        assertEquals(Map.of(), FeatureScaling.NONE.facts());
        assertEquals("standard", s.facts().get(FeatureScaling.KIND_FACT));
        assertEquals("2.5,5.0,5.0", s.facts().get(FeatureScaling.OFFSET_FACT));
        assertEquals(std0 + ",5.0,1.0", s.facts().get(FeatureScaling.SCALE_FACT));
    }

    @Test
    void minmaxIsMinAndRange() {
        FeatureScaling s = FeatureScaling.fit(data, "minmax", 3, "t");
        assertEquals(0f, s.apply(0, 1f));
        assertEquals(1f / 3f, s.apply(0, 2f));
        assertEquals(1f, s.apply(0, 4f));
        assertEquals(0f, s.apply(1, 0f));
        assertEquals(1f, s.apply(1, 10f));
        assertEquals(0f, s.apply(2, 5f), "a constant feature: max == min, scale 1");
        assertEquals("1.0,0.0,5.0", s.facts().get(FeatureScaling.OFFSET_FACT));
        assertEquals("3.0,10.0,1.0", s.facts().get(FeatureScaling.SCALE_FACT));
    }

    @Test
    void datasetRowsAndBatchesAreScaledToTheSameBits() {
        FeatureScaling s = FeatureScaling.fit(data, "standard", 3, "t");
        List<Row> scaled = s.apply(data).orderBy("id").collectAsList();
        float[] batch = new float[ROWS.length * 3];
        for (int i = 0; i < ROWS.length; i++) {
            System.arraycopy(ROWS[i], 0, batch, i * 3, 3);
        }
        s.applyInPlace(batch, 3);
        for (int i = 0; i < ROWS.length; i++) {
            List<Float> f = scaled.get(i).getList(2);
            for (int j = 0; j < 3; j++) {
                assertEquals(s.apply(j, ROWS[i][j]), f.get(j));
                assertEquals(batch[i * 3 + j], f.get(j));
            }
        }
        assertTrue(Canonical.isCanonical(s.apply(data).schema()), "the canonical marker survives scaling");
        assertEquals(List.of("id", "label", "features"), List.of(s.apply(data).schema().fieldNames()));
    }

    @Test
    void factsRoundTripExactlyAndTheHashTellsStatisticsApart() {
        FeatureScaling standard = FeatureScaling.fit(data, "standard", 3, "t");
        Provenance p = new Provenance("train-teacher", "now", Map.of(), 1, "{}", List.of(), standard.facts());
        FeatureScaling back = FeatureScaling.fromFacts(p, "t");
        assertTrue(back.sameAs(standard));
        assertEquals(standard.hash(), back.hash());
        assertEquals(12, standard.hash().length());
        for (int j = 0; j < 3; j++) {
            assertEquals(standard.apply(j, 0.3f), back.apply(j, 0.3f));
        }
        FeatureScaling minmax = FeatureScaling.fit(data, "minmax", 3, "t");
        assertNotEquals(standard.hash(), minmax.hash());
        assertNotEquals(standard.hash(), FeatureScaling.fit(data.limit(3), "standard", 3, "t").hash());
        assertEquals(standard.hash(), FeatureScaling.fit(data.repartition(3), "standard", 3, "t").hash(),
                "the same rows give the same statistics");
        assertSame(FeatureScaling.NONE, FeatureScaling.fromFacts(new Provenance("s", "now", Map.of(), 1, "{}",
                List.of(), Map.of()), "t"));
        assertSame(FeatureScaling.NONE.apply(data), data);
    }

    @Test
    void editedStatisticsAreRefused() {
        Map<String, String> facts = new java.util.LinkedHashMap<>(FeatureScaling.fit(data, "minmax", 3, "t").facts());
        facts.put(FeatureScaling.OFFSET_FACT, "1.0,0.0,4.0");
        Provenance p = new Provenance("train-teacher", "now", Map.of(), 1, "{}", List.of(), facts);
        String m = assertThrows(DistilleryException.class, () -> FeatureScaling.fromFacts(p, "/m")).getMessage();
        assertTrue(m.contains("/m/metadata.json") && m.contains(facts.get(FeatureScaling.HASH_FACT)), m);
    }

    @Test
    void welfordMergeMatchesOnePass() {
        FeatureStatistics a = new FeatureStatistics(1);
        FeatureStatistics b = new FeatureStatistics(1);
        FeatureStatistics all = new FeatureStatistics(1);
        float[] xs = {0.1f, 7f, -3f, 2.5f, 100f};
        for (int i = 0; i < xs.length; i++) {
            (i < 2 ? a : b).add(List.of(xs[i]));
            all.add(List.of(xs[i]));
        }
        a.merge(b);
        assertEquals(all.mean(0), a.mean(0), 1e-12);
        assertEquals(all.std(0), a.std(0), 1e-12);
        assertArrayEquals(new float[]{-3f, 100f}, new float[]{a.min(0), a.max(0)});
    }
}
