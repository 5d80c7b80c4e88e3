package io.distillery.jobs;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.MultiTeacherSpec;
import io.distillery.loss.SoftmaxMath;
import io.distillery.provenance.Provenance;
import io.distillery.testing.Cli;
import io.distillery.testing.OutcomeReport;
import io.distillery.train.LabelledSubset;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-teacher offline distillation: {@code run} trains two different teachers (an MLP and a CNN) into their own
 * stores and the student from both; the stores are joined by id and every combiner gives each row its own
 * teachers' targets combined; stores that do not describe the same rows are refused in one sentence.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class MultiTeacherTest {
    @RegisterExtension
    static final OutcomeReport REPORT = new OutcomeReport("MultiTeacherTest",
            "Bad multi-teacher stores and settings (in-process CLI, Spark local[2])",
            "Each case runs `distill --multi-teacher` on a copy of two good stores with one thing wrong; the "
                    + "contract is exit 2, one `error:` sentence naming the store or key and the value, and nothing "
                    + "at the student's path.");
    private static final double T = 4.0;

    @TempDir
    static Path base;
    private static Path train;
    private static Path good;

    private static Path conf() {
        return Cli.repo().resolve("conf/fashion-mnist-multi-teacher.conf");
    }

    /** 600 rows; teachers of 16 units (MLP) and 4 filters (CNN), one epoch each; a 16-unit student, 2 epochs. */
    private static List<String> small(Path runDir, String... more) {
        return withTeacherKeys(runDir, "", "", more);
    }

    /** As {@link #small(Path, String...)}, with more keys in each teacher's entry (e.g. its taps). */
    private static List<String> withTeacherKeys(Path runDir, String mlpKeys, String cnnKeys, String... more) {
        List<String> o = Cli.runOn(runDir, train);
        o.addAll(List.of("teacher.model.layers=[{type=dense,name=h1,units=16}]", "teacher.train.epochs=1",
                "multi-teacher.teachers=[{name=mlp" + mlpKeys + "},{name=cnn" + cnnKeys
                        + ",model{layers=[{type=conv,name=c1,units=4,kernel=5},"
                        + "{type=pool,name=p1,kernel=2},{type=dense,name=fc,units=16}]}}]",
                "student.model.layers=[{type=dense,name=hidden1,units=16}]", "student.train.epochs=2",
                "distill.labelled-fraction=0.3"));
        o.addAll(List.of(more));
        return o;
    }

    @BeforeAll
    static void runTheScheme() {
        train = base.resolve("train");
        SparkSession spark = session();
        spark.read().parquet(Cli.sampleTrain().toString()).orderBy("id").limit(600).coalesce(2)
                .write().parquet(train.toString());
        good = base.resolve("good");
        Cli.Result r = Cli.run(Cli.args("run", conf(), small(good)));
        assertEquals(0, r.exit(), r::toString);
    }

    @AfterAll
    static void stop() {
        SparkSession.active().stop();
    }

    private static SparkSession session() {
        return SparkSession.builder().master("local[2]").appName("MultiTeacherTest")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @Test
    void aRunTrainsEveryTeacherAndStoreThenTheStudentAndTheStudentAlone() throws IOException {
        Path mt = good.resolve("multi-teacher");
        for (String dir : List.of("teachers/mlp", "teachers/cnn", "stores/mlp", "stores/cnn", "student")) {
            assertTrue(Files.exists(mt.resolve(dir + "/_SUCCESS")), dir);
        }
        assertTrue(Files.size(mt.resolve("teachers/mlp/model.zip"))
                != Files.size(mt.resolve("teachers/cnn/model.zip")), "two different teachers");
        String student = Files.readString(mt.resolve("student/metadata.json"));
        assertTrue(student.contains("\"teachers\" : \"mlp,cnn\"")
                && student.contains("\"combine\" : \"mean-probabilities at T = 4.0\""), student);
        String metrics = Files.readString(good.resolve("evaluation/metrics.json"));
        for (String model : List.of("teacher-mlp", "teacher-cnn", "multi-teacher", "baseline")) {
            assertTrue(metrics.contains("\"" + model + "\""), model + " not in " + metrics);
        }
        Cli.Result again = Cli.run(Cli.args("run", conf(), small(good)));
        assertEquals(0, again.exit(), again::toString);
        assertEquals(student, Files.readString(mt.resolve("student/metadata.json")),
                "an up-to-date run redoes nothing");
    }

    /** One loss per teacher: the student trains on labels [y | t_mlp | t_cnn] from the same two stores. */
    @Test
    void aStudentLearnsWithOneLossPerTeacher() throws IOException {
        Path student = base.resolve("per-teacher-student");
        Cli.Result r = Cli.run(Cli.args("distill", conf(), small(good, "multi-teacher.combine=per-teacher-loss",
                "multi-teacher.student-path=" + Cli.quoted(student)), "--multi-teacher"));
        assertEquals(0, r.exit(), r::toString);
        String metadata = Files.readString(student.resolve("metadata.json"));
        assertTrue(metadata.contains("\"combine\" : \"per-teacher-loss at T = 4.0\""), metadata);
        assertTrue(metadata.contains("\"labels\" : \"[one-hot 10 | teacher 20]\""), metadata);
    }

    @Test
    void everyCombinerGivesEachRowItsOwnTeachersTargets() {
        SparkSession spark = session();
        Map<Long, float[]> mlp = logits(spark, good.resolve("multi-teacher/stores/mlp"));
        Map<Long, float[]> cnn = logits(spark, good.resolve("multi-teacher/stores/cnn"));
        Map<Long, Integer> labels = new HashMap<>();
        parquet(spark, good.resolve("multi-teacher/stores/mlp")).select("id", "label")
                .collectAsList().forEach(r -> labels.put(r.getLong(0), r.getInt(1)));
        for (String combine : MultiTeacherSpec.COMBINERS) {
            List<String> o = small(good, "multi-teacher.combine=" + combine, "multi-teacher.weights=[3,1]");
            DistilleryConfig cfg = ConfigLoader.load(conf().toFile(), o);
            JobContext ctx = JobContext.of(spark, cfg, false, false);
            Map<String, Provenance> stores = MultiTeacherStore.check(ctx);
            List<Row> rows = MultiTeacherStore.combined(ctx, stores).collectAsList();
            assertEquals(600, rows.size(), combine);
            for (Row r : rows) {
                long id = r.getLong(0);
                float[] a = mlp.get(id);
                float[] b = cnn.get(id);
                int label = LabelledSubset.isLabelled(id, cfg.seed(), 0.3) ? labels.get(id) : -1;
                double[] expected = expected(combine, a, b, label);
                List<Float> got = r.getList(3);
                assertEquals(labels.get(id), r.getInt(1), "label of row " + id);
                for (int c = 0; c < expected.length; c++) {
                    assertEquals(expected[c], got.get(c), 1e-4, combine + ", row " + id + ", class " + c);
                }
            }
        }
    }

    /** The combination written out here, independently of TeacherCombiner's code paths where it is simple. */
    private static double[] expected(String combine, float[] a, float[] b, int label) {
        double[] out = new double[a.length];
        double[] wa = {0.5};
        if (combine.equals("per-teacher-loss")) { // no combination: both teachers' logits, side by side
            double[] both = new double[2 * a.length];
            for (int c = 0; c < a.length; c++) {
                both[c] = a[c];
                both[a.length + c] = b[c];
            }
            return both;
        }
        switch (combine) {
            case "mean-logits" -> {
                for (int c = 0; c < a.length; c++) {
                    out[c] = (a[c] + b[c]) / 2.0;
                }
                return out;
            }
            case "weighted" -> wa[0] = 0.75;
            case "confidence" -> {
                double sa = label >= 0 ? -SoftmaxMath.logSoftmax(a, 1)[label] : entropy(a);
                double sb = label >= 0 ? -SoftmaxMath.logSoftmax(b, 1)[label] : entropy(b);
                wa[0] = 1 - Math.exp(sa) / (Math.exp(sa) + Math.exp(sb));  // (1 - softmax(s)_a) / (K - 1), K = 2
            }
            default -> {
            }
        }
        double[] pa = SoftmaxMath.softmax(a, T);
        double[] pb = SoftmaxMath.softmax(b, T);
        for (int c = 0; c < a.length; c++) {
            out[c] = T * Math.log(wa[0] * pa[c] + (1 - wa[0]) * pb[c]);
        }
        return out;
    }

    private static double entropy(float[] logits) {
        double h = 0;
        for (double p : SoftmaxMath.softmax(logits, 1)) {
            h -= p * Math.log(p);
        }
        return h;
    }

    private static Map<Long, float[]> logits(SparkSession spark, Path store) {
        Map<Long, float[]> out = new HashMap<>();
        for (Row r : parquet(spark, store).select("id", "teacher_logits").collectAsList()) {
            List<Float> l = r.getList(1);
            float[] f = new float[l.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = l.get(i);
            }
            out.put(r.getLong(0), f);
        }
        return out;
    }

    /** A copy of the good run with {@code damage} done to it, then distill --multi-teacher; refused as expected. */
    private static void refused(String testCase, String damageDone, Damage damage, List<String> settings,
                                String... expected) throws IOException {
        Path runDir = base.resolve("bad-" + testCase.replaceAll("[^a-z0-9]+", "-"));
        Cli.copyTree(good, runDir);
        Path student = runDir.resolve("multi-teacher/student");
        deleteTree(student);
        damage.apply(runDir.resolve("multi-teacher"));
        List<String> o = small(runDir);
        o.addAll(settings);
        Cli.Result r = Cli.run(Cli.args("distill", conf(), o, "--multi-teacher"));
        boolean written = Files.exists(student);
        REPORT.observe(testCase, damageDone, "exit 2; names " + String.join(", ", expected),
                String.format("exit %d; `%s`; student written: %s", r.exit(),
                        r.error().replace(base.toString(), "<tmp>"), written ? "yes" : "no"));
        assertEquals(2, r.exit(), r::toString);
        for (String e : expected) {
            assertTrue(r.error().contains(e), "'" + e + "' is not in: " + r.error());
        }
        assertFalse(written, "something was written at the student's path");
        assertEquals(List.of(), Cli.leftoverTemps(runDir));
    }

    private interface Damage {
        void apply(Path multiTeacherDir) throws IOException;
    }

    @Test
    void oneTeacherIsNotMultiTeacher() throws IOException {
        refused("one teacher", "multi-teacher.teachers = [{name = mlp}]", dir -> {
        }, List.of("multi-teacher.teachers=[{name=mlp}]"), "distillery.multi-teacher.teachers", "at least 2");
    }

    @Test
    void storeOfAnotherInputWidth() throws IOException {
        refused("stores of different input widths", "stores/cnn/metadata.json says input-width 783", dir -> {
            Path meta = dir.resolve("stores/cnn/metadata.json");
            Files.writeString(meta, Files.readString(meta).replace("\"input-width\" : \"784\"",
                    "\"input-width\" : \"783\""));
            Files.delete(dir.resolve("stores/cnn/.metadata.json.crc"));  // edited on purpose
        }, List.of(), "stores/cnn", "input-width", "'783'", "'784'");
    }

    @Test
    void storeWithFewerRows() throws IOException {
        refused("stores of different row counts", "stores/cnn rewritten without its first row",
                dir -> rewriteStore(dir.resolve("stores/cnn"), rows -> rows.orderBy("id").offset(1)),
                List.of(), "stores/cnn", "599 rows but store", "stores/mlp", "600");
    }

    @Test
    void storeWithOtherIds() throws IOException {
        refused("stores of different ids", "stores/cnn rewritten with every id + 1000000",
                dir -> rewriteStore(dir.resolve("stores/cnn"),
                        rows -> rows.withColumn("id", functions.col("id").plus(1_000_000L))),
                List.of(), "stores/cnn", "has no row with id", "stores/mlp");
    }

    /** Rewrites a store's Parquet files through {@code change}, keeping its metadata. */
    private static void rewriteStore(Path store, java.util.function.UnaryOperator<Dataset<Row>> change)
            throws IOException {
        Path moved = store.resolveSibling(store.getFileName() + "-original");
        Files.move(store, moved);
        change.apply(parquet(session(), moved)).coalesce(1).write().parquet(store.toString());
        for (String f : List.of("metadata.json", ".metadata.json.crc")) {
            if (Files.exists(moved.resolve(f))) {
                Files.copy(moved.resolve(f), store.resolve(f));
            }
        }
    }

    private static Dataset<Row> parquet(SparkSession spark, Path dir) {
        return spark.read().option("pathGlobFilter", "*.parquet").parquet(dir.toString());
    }

    @Test
    void storeMadeByAnotherTeacher() throws IOException {
        refused("store made by another teacher", "teachers/cnn replaced by teachers/mlp", dir -> {
            deleteTree(dir.resolve("teachers/cnn"));
            Cli.copyTree(dir.resolve("teachers/mlp"), dir.resolve("teachers/cnn"));
        }, List.of(), "stores/cnn", "was made by teacher", "teachers/cnn");
    }

    @Test
    void weightsThatDoNotMatchTheTeachers() throws IOException {
        refused("weights that do not match the teachers", "multi-teacher.combine = weighted, weights = [1]", dir -> {
        }, List.of("multi-teacher.combine=weighted", "multi-teacher.weights=[1]"), "distillery.multi-teacher.weights",
                "1 value(s) for 2 teachers");
    }

    /** kd + ce, a hint from the CNN's fc and a similarity term on the MLP's h1. */
    private static final String FEATURE_LOSS = "distill.loss=[{term=kd,weight=0.9,temperature=4},"
            + "{term=ce,weight=0.1},{term=hint,weight=1,student-layer=hidden1,teacher-layer=cnn/fc},"
            + "{term=similarity,weight=100,student-layer=hidden1,teacher-layer=mlp/h1}]";

    /**
     * Feature and relation terms name a tap of either teacher: each teacher's store keeps its own taps, the combined
     * rows carry each as {@code tap_<teacher>/<layer>} with the values of that teacher's store, and the student trains.
     */
    @Test
    void featureTermsNameATapOfEitherTeacher() throws IOException {
        Path runDir = base.resolve("tapped");
        Cli.copyTree(good.resolve("multi-teacher/teachers"), runDir.resolve("multi-teacher/teachers"));
        List<String> o = withTeacherKeys(runDir, ",taps=[h1]", ",taps=[fc]", FEATURE_LOSS);
        Cli.Result r = Cli.run(Cli.args("run", conf(), o));
        assertEquals(0, r.exit(), r::toString);
        String student = Files.readString(runDir.resolve("multi-teacher/student/metadata.json"));
        assertTrue(student.contains("hint(hidden1 -> cnn/fc") && student.contains("similarity(hidden1 -> mlp/h1"),
                student);
        SparkSession spark = session();
        DistilleryConfig cfg = ConfigLoader.load(conf().toFile(), o);
        JobContext ctx = JobContext.of(spark, cfg, false, false);
        Map<String, Provenance> stores = MultiTeacherStore.check(ctx);
        Map<String, List<String>> taps = MultiTeacherTaps.byTeacher(cfg, DistillJob.terms(cfg.distill(), false));
        assertEquals(Map.of("mlp", List.of("h1"), "cnn", List.of("fc")), taps);
        Map<Long, List<Float>> fc = new HashMap<>();
        parquet(spark, runDir.resolve("multi-teacher/stores/cnn")).select("id", "tap_fc").collectAsList()
                .forEach(row -> fc.put(row.getLong(0), row.getList(1)));
        Map<Long, List<Float>> h1 = new HashMap<>();
        parquet(spark, runDir.resolve("multi-teacher/stores/mlp")).select("id", "tap_h1").collectAsList()
                .forEach(row -> h1.put(row.getLong(0), row.getList(1)));
        List<Row> rows = MultiTeacherStore.combined(ctx, stores, taps)
                .select("id", "tap_cnn/fc", "tap_mlp/h1").collectAsList();
        assertEquals(600, rows.size());
        for (Row row : rows) {
            assertEquals(fc.get(row.getLong(0)), row.getList(1), "tap_cnn/fc of row " + row.getLong(0));
            assertEquals(h1.get(row.getLong(0)), row.getList(2), "tap_mlp/h1 of row " + row.getLong(0));
        }
    }

    @Test
    void aFeatureTermNamesItsTeacher() throws IOException {
        refused("feature term without its teacher", "distill.loss with a hint term on teacher-layer = h1", dir -> {
        }, List.of("distill.loss=[{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1},"
                + "{term=hint,weight=1,student-layer=hidden1,teacher-layer=h1}]"), "teacher-layer", "'h1'",
                "'<teacher>/<layer>'", "[mlp, cnn]");
    }

    @Test
    void aFeatureTermNamesATapItsTeacherStores() throws IOException {
        refused("feature term on a layer its teacher does not store", "a hint on cnn/fc; the cnn stores no taps",
                dir -> {
                }, List.of(FEATURE_LOSS), "'cnn/fc'", "teacher 'cnn' stores the taps []");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
