package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-modal distillation through every stage on a small two-view data set: the teacher reads 6 features
 * ({@code features}), the student 3 others of the same rows ({@code view}, or the numeric columns
 * {@code v0, v1, v2}). The store holds the student's view as its features and not the teacher's columns, with the
 * width facts; the student and baseline record their view; evaluate's figures for each model equal those computed
 * here from the loaded model on its own view of the test rows.
 */
class CrossModalTest {
    private static final int TEACHER_WIDTH = 6;
    private static final int VIEW_WIDTH = 3;
    private static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("view", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("v0", DataTypes.DoubleType, false)
            .add("v1", DataTypes.DoubleType, false)
            .add("v2", DataTypes.DoubleType, false);

    @TempDir
    static Path base;
    private static final Map<Long, float[]> TRAIN_VIEW = new HashMap<>();
    private static final Map<Long, float[]> TEST_FEATURES = new HashMap<>();
    private static final Map<Long, float[]> TEST_VIEW = new HashMap<>();
    private static final Map<Long, Integer> TEST_LABELS = new HashMap<>();

    @BeforeAll
    static void writeData() {
        SparkSession spark = LocalSparkForJobs.session();
        try {
            write(spark, "train", 0, 200, new HashMap<>(), TRAIN_VIEW, new HashMap<>());
            write(spark, "validation", 500, 40, new HashMap<>(), new HashMap<>(), new HashMap<>());
            write(spark, "test", 1000, 60, TEST_FEATURES, TEST_VIEW, TEST_LABELS);
        } finally {
            spark.stop();
        }
    }

    /** Label 1 when f0 + f1 > 1; the view is (f0 + f1, f2, f3 * f4): it sees the label, in another form. */
    private static void write(SparkSession spark, String name, long first, int n, Map<Long, float[]> features,
                              Map<Long, float[]> views, Map<Long, Integer> labels) {
        Random rnd = new Random(first + 7);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] f = new float[TEACHER_WIDTH];
            for (int j = 0; j < f.length; j++) {
                f[j] = rnd.nextFloat();
            }
            float[] v = {f[0] + f[1], f[2], f[3] * f[4]};
            int label = f[0] + f[1] > 1 ? 1 : 0;
            long id = first + i;
            features.put(id, f);
            views.put(id, v);
            labels.put(id, label);
            rows.add(RowFactory.create(id, label, list(f), list(v), (double) v[0], (double) v[1], (double) v[2]));
        }
        spark.createDataFrame(rows, SCHEMA).coalesce(2).write().parquet(base.resolve(name).toString());
    }

    private static List<Float> list(float[] values) {
        List<Float> out = new ArrayList<>();
        for (float v : values) {
            out.add(v);
        }
        return out;
    }

    private static List<String> overrides(Path runDir, String... more) {
        List<String> o = new ArrayList<>(List.of("run-dir=" + Cli.quoted(runDir),
                "data.train=" + Cli.quoted(base.resolve("train")), "data.test=" + Cli.quoted(base.resolve("test")),
                "data.num-classes=2", "student.train.epochs=2", "soft-targets.taps=[]",
                "student.model.layers=[{type=dense,name=hidden1,units=8,activation=relu}]"));
        o.addAll(Cli.tinyTeacher(8));
        o.addAll(List.of(more));
        return o;
    }

    private static void ok(String command, Path runDir, List<String> overrides, String... flags) {
        Cli.Result r = Cli.run(Cli.args(command, Cli.offlineConf(), overrides, flags));
        assertEquals(0, r.exit(), r::toString);
    }

    private static Provenance provenance(Path dir) throws IOException {
        return ProvenanceJson.fromJson(Files.readString(dir.resolve("metadata.json")), dir.toString());
    }

    @Test
    void storeHoldsTheStudentsViewAndEvaluateReadsEachModelsOwn() throws IOException {
        Path run = base.resolve("array-view");
        List<String> o = overrides(run, "data.student-features-column=view");
        ok("train-teacher", run, o);
        ok("soft-targets", run, o);
        ok("distill", run, o);
        ok("distill", run, o, "--baseline");
        ok("evaluate", run, o);

        // The store: the student's view as features, none of the teacher's or the raw view's columns.
        SparkSession spark = LocalSparkForJobs.session();
        try {
            var store = spark.read().option("pathGlobFilter", "*.parquet").parquet(run.resolve("soft-targets")
                    .toString());
            assertEquals(List.of("id", "label", "features", "teacher_logits"), Arrays.asList(store.columns()));
            List<Row> rows = store.select("id", "features").collectAsList();
            assertEquals(TRAIN_VIEW.size(), rows.size());
            for (Row r : rows) {
                float[] view = TRAIN_VIEW.get(r.getLong(0));
                List<Float> stored = r.getList(1);
                assertEquals(VIEW_WIDTH, stored.size());
                for (int j = 0; j < VIEW_WIDTH; j++) {
                    assertEquals(view[j], stored.get(j), "row " + r.getLong(0));
                }
            }
        } finally {
            spark.stop();
        }
        Provenance storeFacts = provenance(run.resolve("soft-targets"));
        assertEquals("view", storeFacts.fact(StoreWidths.STUDENT_FEATURES));
        assertEquals("3", storeFacts.fact("input-width"));
        assertEquals("6", storeFacts.fact(StoreWidths.TEACHER_INPUT_WIDTH));
        Provenance teacherFacts = provenance(run.resolve("teacher"));
        assertEquals("6", teacherFacts.fact("input-width"));
        assertEquals(null, teacherFacts.fact(StoreWidths.STUDENT_FEATURES), "the teacher reads its own features");
        for (String model : List.of("student", "baseline")) {
            Provenance p = provenance(run.resolve(model));
            assertEquals("view", p.fact(StoreWidths.STUDENT_FEATURES), model);
            assertEquals("3", p.fact("input-width"), model);
        }

        // evaluate: every model's figures are those of the loaded model on its own view of the test rows.
        Map<String, Map<String, Object>> reported = models(run);
        assertEquals(metricsOf(run.resolve("teacher"), TEST_FEATURES, null).accuracy(),
                number(reported, "teacher", "accuracy"));
        MultiLayerNetwork teacher = load(run.resolve("teacher"));
        for (String model : List.of("student", "baseline")) {
            ClassificationMetrics own = metricsOf(run.resolve(model), TEST_VIEW, teacher);
            assertEquals(own.accuracy(), number(reported, model, "accuracy"), model);
            assertEquals(own.negativeLogLikelihood(), number(reported, model, "negativeLogLikelihood"), 1e-6, model);
            assertEquals(own.agreementWithTeacher(), number(reported, model, "agreementWithTeacher"), 1e-9, model);
        }

        // A model made on a view evaluated with a config naming none is refused in one sentence.
        Cli.Result r = Cli.run(Cli.args("evaluate", Cli.offlineConf(), overrides(run,
                "evaluate.path=" + Cli.quoted(run.resolve("evaluation-one-view"))), "--overwrite"));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("'view'") && r.error().contains("no student view"), r.error());
        assertFalse(Files.exists(run.resolve("evaluation-one-view")));
    }

    @Test
    void numericStudentColumnsAndANamedValidationSet() throws IOException {
        Path run = base.resolve("column-view");
        List<String> o = overrides(run, "data.student-feature-columns=[v0,v1,v2]",
                "data.validation=" + Cli.quoted(base.resolve("validation")));
        ok("train-teacher", run, o);
        ok("soft-targets", run, o);
        ok("distill", run, o);
        ok("evaluate", run, o);
        Provenance store = provenance(run.resolve("soft-targets"));
        assertEquals("v0,v1,v2", store.fact(StoreWidths.STUDENT_FEATURES));
        assertEquals("3", store.fact("input-width"));
        Provenance student = provenance(run.resolve("student"));
        assertEquals("v0,v1,v2", student.fact(StoreWidths.STUDENT_FEATURES));
        Map<String, Map<String, Object>> reported = models(run);
        assertEquals(metricsOf(run.resolve("student"), TEST_VIEW, null).accuracy(),
                number(reported, "student", "accuracy"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> models(Path run) throws IOException {
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                Files.readString(run.resolve("evaluation/metrics.json")), new TypeReference<>() {
                });
        return (Map<String, Map<String, Object>>) metrics.get("models");
    }

    private static double number(Map<String, Map<String, Object>> models, String model, String key) {
        return ((Number) models.get(model).get(key)).doubleValue();
    }

    private static MultiLayerNetwork load(Path dir) {
        return ModelArtifact.load(new ArtifactFiles(new org.apache.hadoop.conf.Configuration()), dir.toString());
    }

    /** The model's metrics on the given inputs of the test rows (with the teacher's on its own, when given). */
    private static ClassificationMetrics metricsOf(Path dir, Map<Long, float[]> inputs, MultiLayerNetwork teacher) {
        MultiLayerNetwork net = load(dir);
        ClassificationMetrics m = new ClassificationMetrics(2, 15);
        for (Map.Entry<Long, float[]> e : inputs.entrySet()) {
            float[] x = e.getValue();
            double[] p = HostArrays.doubleRows(net.output(Nd4j.create(x, new long[]{1, x.length}, 'c'), false))[0];
            double[] t = null;
            if (teacher != null) {
                float[] f = TEST_FEATURES.get(e.getKey());
                t = HostArrays.doubleRows(teacher.output(Nd4j.create(f, new long[]{1, f.length}, 'c'), false))[0];
            }
            m.add(p, TEST_LABELS.get(e.getKey()), t);
        }
        return m;
    }
}
