package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.data.FeatureScaling;
import io.distillery.eval.ClassificationMetrics;
import io.distillery.model.HostArrays;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import io.distillery.testing.LocalSparkForJobs;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code data.scaling = standard} through train-teacher, soft-targets, distill and evaluate on a small data set of
 * 4 features, one of them constant: the statistics recorded by the teacher are the hand-computed mean and population
 * standard deviation (the constant feature scale 1), the store holds the features scaled with them, the student
 * records the same statistics, and evaluate's figures for the saved student equal those computed here from the
 * loaded student on test rows scaled by hand.
 */
class FeatureScalingStagesTest {
    private static final int WIDTH = 4;
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    @TempDir
    static Path base;
    private static Map<Long, float[]> trainRows;
    private static Map<Long, float[]> testRows;
    private static Map<Long, Integer> testLabels;

    /** Feature 0 in [0, 8), feature 1 in {0, 3, ..., 18}, feature 2 constant 5, feature 3 in [-100, 100]. */
    private static float[] features(int i) {
        return new float[]{i / 10f, (i % 7) * 3f, 5f, (float) (100 * Math.sin(i))};
    }

    private static int label(float[] f) {
        return f[0] + f[1] / 6 > 5 ? 1 : 0;
    }

    @BeforeAll
    static void writeData() {
        trainRows = new HashMap<>();
        testRows = new HashMap<>();
        testLabels = new HashMap<>();
        SparkSession spark = LocalSparkForJobs.session();
        try {
            write(spark, "train", 0, 80, trainRows, new HashMap<>());
            write(spark, "test", 1000, 40, testRows, testLabels);
        } finally {
            spark.stop();
        }
    }

    private static void write(SparkSession spark, String name, int first, int n, Map<Long, float[]> out,
                              Map<Long, Integer> labels) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] f = features(first == 0 ? i : (i * 37) % 80);
            List<Float> list = new ArrayList<>();
            for (float v : f) {
                list.add(v);
            }
            long id = first + i;
            out.put(id, f);
            labels.put(id, label(f));
            rows.add(RowFactory.create(id, label(f), list));
        }
        spark.createDataFrame(rows, SCHEMA).coalesce(2).write().parquet(base.resolve(name).toString());
    }

    private static List<String> overrides(Path runDir) {
        List<String> o = new ArrayList<>(List.of("run-dir=" + Cli.quoted(runDir),
                "data.train=" + Cli.quoted(base.resolve("train")), "data.test=" + Cli.quoted(base.resolve("test")),
                "data.num-classes=2", "data.scaling=standard", "student.train.epochs=2", "soft-targets.taps=[h1]"));
        o.addAll(Cli.tinyTeacher(8));
        return o;
    }

    private static void ok(String command, Path runDir) {
        Cli.Result r = Cli.run(Cli.args(command, Cli.offlineConf(), overrides(runDir)));
        assertEquals(0, r.exit(), r::toString);
    }

    private static Provenance provenance(Path dir) throws IOException {
        return ProvenanceJson.fromJson(Files.readString(dir.resolve("metadata.json")), dir.toString());
    }

    @Test
    void everyStageAppliesTheTeachersStatistics() throws IOException {
        Path run = base.resolve("run");
        ok("train-teacher", run);
        ok("soft-targets", run);
        ok("distill", run);
        ok("evaluate", run);

        // The recorded statistics are the hand-computed ones.
        Provenance teacher = provenance(run.resolve("teacher"));
        assertEquals("standard", teacher.fact(FeatureScaling.KIND_FACT));
        float[] offset = floats(teacher.fact(FeatureScaling.OFFSET_FACT));
        float[] scale = floats(teacher.fact(FeatureScaling.SCALE_FACT));
        // Fitted on the rows trained on: those outside the validation split (data.validation-fraction, 0.1).
        List<float[]> trained = trainRows.entrySet().stream()
                .filter(e -> !io.distillery.train.ValidationSplit.isValidation(e.getKey(), 0.1))
                .map(Map.Entry::getValue).toList();
        assertTrue(trained.size() < trainRows.size() && trained.size() > 0.7 * trainRows.size(),
                () -> trained.size() + " of " + trainRows.size());
        for (int j = 0; j < WIDTH; j++) {
            double mean = 0;
            for (float[] f : trained) {
                mean += f[j];
            }
            mean /= trained.size();
            double var = 0;
            for (float[] f : trained) {
                var += (f[j] - mean) * (f[j] - mean);
            }
            double std = Math.sqrt(var / trained.size());
            assertEquals(mean, offset[j], 1e-5 * Math.max(1, Math.abs(mean)), "mean of feature " + j);
            assertEquals(j == 2 ? 1.0 : std, scale[j], 1e-5 * Math.max(1, std), "std of feature " + j);
        }
        assertEquals(5f, offset[2]);
        assertEquals(1f, scale[2], "the constant feature is not divided by its std of 0");

        // The store holds the features scaled with them, row by row, to the bit.
        SparkSession spark = LocalSparkForJobs.session();
        try {
            List<Row> store = spark.read().option("pathGlobFilter", "*.parquet")
                    .parquet(run.resolve("soft-targets").toString()).select("id", "features").collectAsList();
            assertEquals(trainRows.size(), store.size());
            for (Row r : store) {
                float[] raw = trainRows.get(r.getLong(0));
                List<Float> stored = r.getList(1);
                for (int j = 0; j < WIDTH; j++) {
                    assertEquals((raw[j] - offset[j]) / scale[j], stored.get(j), "row " + r.getLong(0));
                }
            }
        } finally {
            spark.stop();
        }
        Provenance student = provenance(run.resolve("student"));
        assertEquals(teacher.fact(FeatureScaling.HASH_FACT), student.fact(FeatureScaling.HASH_FACT));
        assertEquals(teacher.fact(FeatureScaling.HASH_FACT),
                provenance(run.resolve("soft-targets")).fact(FeatureScaling.HASH_FACT));

        // evaluate's figures for the saved student equal those of the loaded student on rows scaled by hand.
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                Files.readString(run.resolve("evaluation/metrics.json")), new TypeReference<>() {
                });
        @SuppressWarnings("unchecked")
        Map<String, Object> reported = ((Map<String, Map<String, Object>>) metrics.get("models")).get("student");
        MultiLayerNetwork loaded = ModelArtifact.load(new ArtifactFiles(new org.apache.hadoop.conf.Configuration()),
                run.resolve("student").toString());
        ClassificationMetrics scaled = metricsOf(loaded, offset, scale);
        assertEquals(scaled.accuracy(), ((Number) reported.get("accuracy")).doubleValue());
        assertEquals(scaled.negativeLogLikelihood(), ((Number) reported.get("negativeLogLikelihood")).doubleValue(),
                1e-6, "the same predictions (up to the batch size's effect on float rounding)");
        ClassificationMetrics raw = metricsOf(loaded, new float[WIDTH], new float[]{1, 1, 1, 1});
        assertNotEquals(raw.negativeLogLikelihood(), scaled.negativeLogLikelihood(), "scaling made no difference");
    }

    /** The model's metrics on the test rows, each scaled here as (x - offset) / scale. */
    private static ClassificationMetrics metricsOf(MultiLayerNetwork net, float[] offset, float[] scale) {
        ClassificationMetrics m = new ClassificationMetrics(2, 15);
        for (Map.Entry<Long, float[]> e : testRows.entrySet()) {
            float[] x = new float[WIDTH];
            for (int j = 0; j < WIDTH; j++) {
                x[j] = (e.getValue()[j] - offset[j]) / scale[j];
            }
            double[] p = HostArrays.doubleRows(net.output(Nd4j.create(x, new long[]{1, WIDTH}, 'c'), false))[0];
            m.add(p, testLabels.get(e.getKey()), null);
        }
        return m;
    }

    private static float[] floats(String text) {
        String[] parts = text.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Float.parseFloat(parts[i]);
        }
        return out;
    }
}
