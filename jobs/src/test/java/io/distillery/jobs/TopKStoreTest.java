package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.distillery.config.MissingMass;
import io.distillery.config.Precision;
import io.distillery.loss.SoftmaxMath;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.Half;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.StoreLayout;
import io.distillery.store.TeacherTargets;
import io.distillery.store.TopKLogits;
import io.distillery.testing.Cli;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Top-k soft-target stores through the CLI, on the committed Fashion-MNIST sample with one small teacher: the
 * store written by {@code soft-targets} (real Spark, real Parquet) against the dense store of the same teacher,
 * {@code distill} end to end from a top-k store, and bad top-k stores and settings refused in one sentence.
 */
class TopKStoreTest {
    @TempDir
    static Path runDir;

    private static List<String> overrides(String... more) {
        List<String> o = new ArrayList<>(List.of(
                "run-dir=" + Cli.quoted(runDir),
                "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "teacher.model.layers=[{type=dense,name=h1,units=64}]",
                "teacher.train.epochs=3",
                "student.train.epochs=3",
                "soft-targets.taps=[h1]"));
        o.addAll(Arrays.asList(more));
        return o;
    }

    private static Cli.Result cli(String command, List<String> overrides, String... flags) {
        return Cli.run(Cli.args(command, Cli.offlineConf(), overrides, flags));
    }

    private static List<String> store(String name, String... more) {
        List<String> o = new ArrayList<>(List.of("soft-targets.path=" + Cli.quoted(runDir.resolve(name))));
        o.addAll(Arrays.asList(more));
        return overrides(o.toArray(new String[0]));
    }

    private static final String[] TOP3_F16 = {"soft-targets.top-k=3", "soft-targets.logit-precision=float16",
            "soft-targets.feature-precision=float16"};

    @BeforeAll
    static void teacherAndStores() {
        Cli.Result t = cli("train-teacher", overrides());
        assertEquals(0, t.exit(), t::toString);
        for (Map.Entry<String, List<String>> s : Map.of(
                "dense", store("dense"),
                "top3-f16", store("top3-f16", TOP3_F16),
                "top10-f32", store("top10-f32", "soft-targets.top-k=10")).entrySet()) {
            Cli.Result r = cli("soft-targets", s.getValue());
            assertEquals(0, r.exit(), s.getKey() + ": " + r);
        }
    }

    private static SparkSession spark() {
        return SparkSession.builder().master("local[2]").appName("TopKStoreTest").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").config("spark.driver.host", "127.0.0.1").getOrCreate();
    }

    private static Dataset<Row> read(SparkSession spark, String name) {
        return spark.read().option("pathGlobFilter", "*.parquet").parquet(runDir.resolve(name).toString());
    }

    private static float[] floats(Row row, String column) {
        return TeacherTargets.floats(row, column, Precision.FLOAT32);
    }

    @Test
    void topKStoreRoundTripsAgainstTheDenseStoreOfTheSameTeacher() {
        ArtifactFiles files = ArtifactFiles.local();
        Provenance meta = files.readProvenance(runDir.resolve("top3-f16").toString());
        assertEquals("top-k", meta.fact("logits"));
        assertEquals("3", meta.fact("top-k"));
        assertEquals("float16", meta.fact("logit-precision"));
        assertEquals("float16", meta.fact("feature-precision"));
        assertEquals("10", meta.fact("num-classes"));
        Provenance dense = files.readProvenance(runDir.resolve("dense").toString());
        assertEquals("dense", dense.fact("logits"));
        assertEquals("0", dense.fact("top-k"));
        assertEquals(dense.fact("teacher-hash"), meta.fact("teacher-hash"));

        SparkSession spark = spark();
        try {
            Dataset<Row> top = read(spark, "top3-f16");
            List<String> names = Arrays.stream(top.schema().fields()).map(StructField::name).toList();
            assertEquals(List.of("id", "label", "features", "teacher_topk_index", "teacher_topk_logprob",
                    "teacher_topk_logrest", "teacher_logsumexp", "tap_h1"), names);
            assertEquals(DataTypes.FloatType, top.schema().apply("teacher_topk_logrest").dataType());
            assertEquals(DataTypes.createArrayType(DataTypes.IntegerType, true),
                    top.schema().apply("teacher_topk_index").dataType());
            assertEquals(DataTypes.createArrayType(DataTypes.ShortType, true),
                    top.schema().apply("teacher_topk_logprob").dataType());
            assertEquals(DataTypes.FloatType, top.schema().apply("teacher_logsumexp").dataType());
            assertEquals(DataTypes.createArrayType(DataTypes.ShortType, true),
                    top.schema().apply("tap_h1").dataType());

            Map<Long, Row> denseRows = new HashMap<>();
            for (Row r : read(spark, "dense").collectAsList()) {
                denseRows.put(r.getLong(r.fieldIndex("id")), r);
            }
            List<Row> topRows = top.collectAsList();
            assertEquals(3000, topRows.size());
            assertEquals(3000, denseRows.size());
            TeacherTargets uniform = TeacherTargets.of(StoreLayout.of(meta, "top3-f16"), MissingMass.UNIFORM);
            double maxMassError = 0;
            for (Row r : topRows) {
                Row d = denseRows.get(r.getLong(r.fieldIndex("id")));
                assertEquals(d.getInt(d.fieldIndex("label")), r.getInt(r.fieldIndex("label")));
                float[] z = floats(d, "teacher_logits");
                TopKLogits.Kept expected = TopKLogits.select(z, 3);
                List<Integer> idx = r.getList(r.fieldIndex("teacher_topk_index"));
                assertEquals(Arrays.stream(expected.indices()).boxed().toList(), idx);
                assertEquals(expected.logSumExp(), r.getFloat(r.fieldIndex("teacher_logsumexp")),
                        1e-6 * Math.abs(expected.logSumExp()) + 1e-6);
                assertEquals(expected.logRest(), r.getFloat(r.fieldIndex("teacher_topk_logrest")),
                        1e-6 * Math.abs(expected.logRest()));

                float[] rebuilt = new float[10];
                uniform.write(r, 10, rebuilt, 0);
                double[] p = SoftmaxMath.softmax(z, 1);
                double[] q = SoftmaxMath.softmax(rebuilt, 1);
                double rest = 1;
                // float16 log-probabilities: |error| <= |lp| 2^-11, so each p_c is within that relative error, and
                // the normalisation moves every class by at most the sum of those errors.
                double shift = 0;
                for (int c : idx) {
                    shift += p[c] * Math.abs(Math.log(p[c])) * 0x1p-11;
                }
                for (int c : idx) {
                    assertEquals(p[c], q[c], p[c] * Math.abs(Math.log(p[c])) * 0x1p-11 + shift + 1e-6, "class " + c);
                    rest -= p[c];
                }
                double rebuiltRest = 1;
                for (int c : idx) {
                    rebuiltRest -= q[c];
                }
                maxMassError = Math.max(maxMassError, Math.abs(rest - rebuiltRest));

                float[] tap = floats(d, "tap_h1");
                float[] half = TeacherTargets.floats(r, "tap_h1", Precision.FLOAT16);
                for (int i = 0; i < tap.length; i++) {
                    assertEquals(Half.toFloat(Half.toHalf(tap[i])), half[i], 0f, "tap value " + i);
                    assertEquals(tap[i], half[i], Math.abs(tap[i]) * 0x1p-11 + 0x1p-25, "tap value " + i);
                }
            }
            // The stored missing mass is exact (checked above); the rebuilt one moves with the normalisation only.
            assertTrue(maxMassError < 1e-3, "missing mass off by " + maxMassError);

            // k = C in float32 keeps every logit: the rebuilt distribution is the teacher's at any temperature.
            Provenance all = files.readProvenance(runDir.resolve("top10-f32").toString());
            TeacherTargets exact = TeacherTargets.of(StoreLayout.of(all, "top10-f32"), MissingMass.RENORMALISE);
            for (Row r : read(spark, "top10-f32").collectAsList()) {
                float[] z = floats(denseRows.get(r.getLong(r.fieldIndex("id"))), "teacher_logits");
                float[] rebuilt = new float[10];
                exact.write(r, 10, rebuilt, 0);
                for (double t : new double[] {1, 4}) {
                    double kl = SoftmaxMath.klDivergence(SoftmaxMath.softmax(z, t), SoftmaxMath.softmax(rebuilt, t));
                    assertTrue(kl < 1e-9, "KL " + kl + " at T=" + t);
                }
            }
        } finally {
            spark.stop();
        }
    }

    @Test
    void distillTrainsFromATopKStoreEndToEnd() throws IOException {
        // The same settings as the top-3 store, so 'run' finds teacher and store up to date and goes on from there.
        Path run = runDir.resolve("from-top3");
        List<String> o = store("top3-f16", TOP3_F16);
        o.addAll(List.of("distill.missing-mass=renormalise", "student.path=" + Cli.quoted(run.resolve("student")),
                "baseline.path=" + Cli.quoted(run.resolve("baseline")),
                "evaluate.path=" + Cli.quoted(run.resolve("evaluation"))));
        Map<String, String> storeBefore = Cli.snapshot(runDir.resolve("top3-f16"));
        Cli.Result r = cli("run", o);
        assertEquals(0, r.exit(), r::toString);
        assertEquals(storeBefore, Cli.snapshot(runDir.resolve("top3-f16")), "the store was rewritten");
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                run.resolve("evaluation/metrics.json").toFile(), new TypeReference<>() {
                });
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> models = (Map<String, Map<String, Object>>) metrics.get("models");
        double acc = ((Number) models.get("student").get("accuracy")).doubleValue();
        System.out.printf("student distilled from the top-3 float16 store: accuracy %.4f%n", acc);
        assertTrue(acc > 0.5, "student accuracy " + acc);
        Provenance student = ArtifactFiles.local().readProvenance(run.resolve("student").toString());
        assertEquals(ArtifactFiles.local().readProvenance(runDir.resolve("top3-f16").toString())
                .fact("teacher-hash"), student.fact("teacher-hash"));
    }

    @Test
    void featureTermsTrainFromFloat16TapsOfATopKStore() {
        // hint reads tap_h1, stored as float16 bits in the top-3 store; kd reads the rebuilt logits.
        Path out = runDir.resolve("hint-from-top3");
        List<String> o = store("top3-f16");
        o.addAll(List.of("student.path=" + Cli.quoted(out), "distill.loss=[{term=kd,weight=0.9,temperature=4},"
                + "{term=ce,weight=0.1},{term=hint,weight=1.0,student-layer=hidden1,teacher-layer=h1}]"));
        Cli.Result r = cli("distill", o);
        assertEquals(0, r.exit(), r::toString);
        assertEquals("0.9 * kd(T=4) + 0.1 * ce + 1 * hint(hidden1 -> h1)",
                ArtifactFiles.local().readProvenance(out.toString()).fact("loss"));
    }

    /** A copy of the top-3 store whose Parquet files are rewritten by {@code edit}; metadata and _SUCCESS kept. */
    private static Path corruptedCopy(String name, java.util.function.UnaryOperator<Dataset<Row>> edit)
            throws IOException {
        Path target = runDir.resolve(name);
        Path tmp = runDir.resolve(name + "-tmp");
        SparkSession spark = spark();
        try {
            edit.apply(read(spark, "top3-f16")).coalesce(1).write().parquet(tmp.toString());
        } finally {
            spark.stop();
        }
        Files.createDirectories(target);
        try (Stream<Path> s = Files.list(tmp)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList()) {
                Files.copy(p, target.resolve(p.getFileName()));
            }
        }
        for (String f : List.of(ArtifactFiles.METADATA, ArtifactFiles.SUCCESS)) {
            Files.copy(runDir.resolve("top3-f16").resolve(f), target.resolve(f));
        }
        return target;
    }

    private static String refusedDistill(Path storePath, String... more) {
        List<String> o = overrides(more);
        o.add("soft-targets.path=" + Cli.quoted(storePath));
        o.add("student.path=" + Cli.quoted(storePath.resolveSibling(storePath.getFileName() + "-student")));
        Cli.Result r = cli("distill", o);
        assertEquals(2, r.exit(), r::toString);
        assertFalse(Files.exists(storePath.resolveSibling(storePath.getFileName() + "-student")));
        return r.error();
    }

    @Test
    void classIndexOutsideTheClassRangeIsNamed() throws IOException {
        Path bad = corruptedCopy("bad-index", d -> d.withColumn(SoftTargetSchema.TOPK_INDEX,
                when(col("id").equalTo(d.select("id").head().getLong(0)),
                        expr("transform(teacher_topk_index, (x, i) -> if(i = 1, 10, x))"))
                        .otherwise(col(SoftTargetSchema.TOPK_INDEX))));
        String error = refusedDistill(bad);
        assertTrue(error.contains("Column 'teacher_topk_index' of soft-target store " + bad)
                && error.contains("class index 10, outside [0, 10)"), error);
    }

    @Test
    void nonFiniteLogSumExpIsNamed() throws IOException {
        Path bad = corruptedCopy("bad-lse", d -> d.withColumn(SoftTargetSchema.LOGSUMEXP,
                when(col("id").equalTo(d.select("id").head().getLong(0)), expr("CAST('NaN' AS FLOAT)"))
                        .otherwise(col(SoftTargetSchema.LOGSUMEXP))));
        String error = refusedDistill(bad);
        assertTrue(error.contains("Column 'teacher_logsumexp'") && error.contains("NaN in 1 rows"), error);
    }

    @Test
    void nanLogMissingMassIsNamed() throws IOException {
        Path bad = corruptedCopy("bad-rest", d -> d.withColumn(SoftTargetSchema.TOPK_LOGREST,
                when(col("id").equalTo(d.select("id").head().getLong(0)), expr("CAST('NaN' AS FLOAT)"))
                        .otherwise(col(SoftTargetSchema.TOPK_LOGREST))));
        String error = refusedDistill(bad);
        assertTrue(error.contains("Column 'teacher_topk_logrest'") && error.contains("NaN in 1 rows"), error);
    }

    @Test
    void topKAboveTheClassCountInMetadataIsNamed() throws IOException {
        Path bad = runDir.resolve("bad-k");
        Cli.copyTree(runDir.resolve("top3-f16"), bad);
        Path meta = bad.resolve(ArtifactFiles.METADATA);
        ObjectNode json = (ObjectNode) ProvenanceJson.mapper().readTree(meta.toFile());
        ((ObjectNode) json.get("facts")).put("top-k", "12");
        ProvenanceJson.mapper().writeValue(meta.toFile(), json);
        Files.deleteIfExists(bad.resolve("." + ArtifactFiles.METADATA + ".crc")); // Hadoop's checksum of the old text
        String error = refusedDistill(bad);
        assertTrue(error.contains("Soft-target store " + bad + " has top-k = 12 but 10 classes"), error);
    }

    @Test
    void negativeTopKIsAConfigError() {
        Cli.Result r = cli("soft-targets", store("never", "soft-targets.top-k=-2"));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("Key distillery.soft-targets.top-k is -2"), r.error());
        assertFalse(Files.exists(runDir.resolve("never")));
    }

    @Test
    void logitMseWithRenormaliseOnATopKStoreIsRefused() {
        String error = refusedDistill(runDir.resolve("top3-f16"), "distill.missing-mass=renormalise",
                "distill.loss=[{term=kd,weight=0.5,temperature=4},{term=logit-mse,weight=0.5}]");
        assertTrue(error.contains("logit-mse") && error.contains("renormalise")
                && error.contains(runDir.resolve("top3-f16").toString()), error);
    }
}
