package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.model.ModelArtifact;
import io.distillery.model.TeacherRuntime;
import io.distillery.onnx.OnnxExporter;
import io.distillery.onnx.OnnxModel;
import io.distillery.onnx.OnnxTeacherRuntime;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import io.distillery.testing.OnnxFixtures;
import onnx.Onnx;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ONNX teachers and students with ONNX Runtime: the committed Python-made models give numpy's outputs; a trained
 * DL4J teacher exported to ONNX makes the same store (logits and taps within 1e-4) as DL4J does, run as an ONNX
 * teacher and as DL4J's teacher on ONNX Runtime ({@code soft-targets.runtime = onnx}); the ONNX teacher's store trains
 * a student, and that student's ONNX export predicts what DL4J does on the sample's test set within 1e-4.
 */
class OnnxTeacherTest {
    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path runDir;

    private static List<String> overrides(String... more) {
        List<String> o = Cli.runOn(runDir, Cli.sampleTrain());
        o.addAll(List.of("teacher.model.layers=[{type=dense,name=h1,units=32}]", "teacher.train.epochs=2",
                "student.train.epochs=2", "soft-targets.taps=[h1]"));
        o.addAll(List.of(more));
        return o;
    }

    private static Cli.Result cli(String command, String... more) {
        return Cli.run(Cli.args(command, Cli.offlineConf(), overrides(more)));
    }

    @BeforeAll
    static void trainTeacher() {
        Cli.Result teacher = cli("train-teacher");
        assertEquals(0, teacher.exit(), teacher::toString);
    }

    @Test
    void pythonMadeModelGivesNumpysOutputs() throws IOException {
        Map<String, double[][]> expected = ProvenanceJson.mapper().readValue(
                OnnxFixtures.file("mlp-expected.json").toFile(), new TypeReference<>() {
                });
        double[][] x = expected.get("features");
        float[] flat = new float[x.length * 4];
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < 4; c++) {
                flat[r * 4 + c] = (float) x[r][c];
            }
        }
        try (OnnxModel model = OnnxModel.open(Files.readAllBytes(OnnxFixtures.file("mlp.onnx")), "mlp.onnx", 1)) {
            assertEquals(4, model.inputWidth());
            assertEquals(List.of("logits", "probabilities", "hidden"), model.outputNames());
            float[][][] out = model.run(flat, x.length, List.of("logits", "probabilities", "hidden"));
            assertClose(expected.get("logits"), out[0], 1e-5, "logits");
            assertClose(expected.get("probabilities"), out[1], 1e-5, "probabilities");
            assertClose(expected.get("hidden"), out[2], 1e-5, "hidden");

            // A teacher whose output is probabilities stores log p, i.e. the logits less their log-sum-exp.
            TeacherRuntime.Outputs fromProbabilities = new OnnxTeacherRuntime(model, "probabilities",
                    List.of("hidden"), true).forward(flat, x.length);
            double[][] logits = expected.get("logits");
            double[][] logProbabilities = new double[logits.length][];
            for (int r = 0; r < logits.length; r++) {
                double max = java.util.Arrays.stream(logits[r]).max().orElseThrow();
                double sum = java.util.Arrays.stream(logits[r]).map(v -> Math.exp(v - max)).sum();
                logProbabilities[r] = java.util.Arrays.stream(logits[r]).map(v -> v - max - Math.log(sum)).toArray();
            }
            assertClose(logProbabilities, fromProbabilities.logits(), 1e-5, "log-probabilities");
            assertClose(expected.get("hidden"), fromProbabilities.taps()[0], 1e-5, "tap hidden");
        }
    }

    @Test
    void onnxTeacherMakesDl4jsStoreTrainsAStudentAndTheStudentExportsExactly() throws IOException {
        Path teacherOnnx = runDir.resolve("teacher.onnx");
        Cli.Result export = Cli.run("export-onnx", "--model", runDir.resolve("teacher").toString(),
                "--output", teacherOnnx.toString(), "--taps", "h1");
        assertEquals(0, export.exit(), export::toString);
        assertEquals(List.of(), Cli.leftoverTemps(runDir));

        Cli.Result dl4j = cli("soft-targets", "soft-targets.path=" + Cli.quoted(runDir.resolve("store-dl4j")));
        assertEquals(0, dl4j.exit(), dl4j::toString);
        Cli.Result onRuntime = cli("soft-targets", "soft-targets.runtime=onnx",
                "soft-targets.path=" + Cli.quoted(runDir.resolve("store-dl4j-on-ort")));
        assertEquals(0, onRuntime.exit(), onRuntime::toString);
        Cli.Result onnx = cli("soft-targets", "teacher.path=" + Cli.quoted(teacherOnnx),
                "soft-targets.path=" + Cli.quoted(runDir.resolve("store-onnx")));
        assertEquals(0, onnx.exit(), onnx::toString);

        ArtifactFiles files = ArtifactFiles.local();
        Provenance onnxStore = files.readProvenance(runDir.resolve("store-onnx").toString());
        assertEquals(Cli.sha256(teacherOnnx), onnxStore.fact(SoftTargetsJob.TEACHER_HASH));
        assertEquals("onnx", onnxStore.fact("teacher-runtime"));
        Provenance dl4jStore = files.readProvenance(runDir.resolve("store-dl4j").toString());
        assertEquals(null, dl4jStore.fact("teacher-runtime"));
        assertEquals(Cli.sha256(runDir.resolve("teacher/model.zip")), files.readProvenance(
                runDir.resolve("store-dl4j-on-ort").toString()).fact(SoftTargetsJob.TEACHER_HASH));
        assertSameStore("store-dl4j", "store-onnx");
        assertSameStore("store-dl4j", "store-dl4j-on-ort");

        Cli.Result distill = cli("distill", "teacher.path=" + Cli.quoted(teacherOnnx),
                "soft-targets.path=" + Cli.quoted(runDir.resolve("store-onnx")));
        assertEquals(0, distill.exit(), distill::toString);
        Provenance student = files.readProvenance(runDir.resolve("student").toString());
        assertEquals(Cli.sha256(teacherOnnx), student.fact(SoftTargetsJob.TEACHER_HASH));

        // `run` with the ONNX teacher: no train-teacher stage, the store and student up to date, the baseline
        // trained, and evaluate covers the DL4J models only.
        Map<String, String> storeBefore = Cli.snapshot(runDir.resolve("store-onnx"));
        Map<String, String> studentBefore = Cli.snapshot(runDir.resolve("student"));
        Cli.Result run = cli("run", "teacher.path=" + Cli.quoted(teacherOnnx),
                "soft-targets.path=" + Cli.quoted(runDir.resolve("store-onnx")));
        assertEquals(0, run.exit(), run::toString);
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(
                runDir.resolve("evaluation").resolve("metrics.json").toFile(), new TypeReference<>() {
                });
        assertEquals(List.of("student", "baseline"), new ArrayList<>(((Map<?, ?>) metrics.get("models")).keySet()));
        assertEquals(storeBefore, Cli.snapshot(runDir.resolve("store-onnx")), "the up-to-date store was redone");
        assertEquals(studentBefore, Cli.snapshot(runDir.resolve("student")), "the up-to-date student was redone");
        assertTrue(files.isCommitted(runDir.resolve("baseline").toString()));

        // Distilled from the ONNX teacher's store, the student is far above chance (0.1).
        double accuracy = exportPredictsAsDl4j(runDir.resolve("student"), runDir.resolve("student.onnx"));
        assertTrue(accuracy > 0.5, "accuracy " + accuracy);
    }

    @Test
    void anInt8StudentTrainsFromConfigAloneAndExportsTheInt8WeightsItComputesWith() throws IOException {
        Path store = runDir.resolve("store-for-int8");
        Cli.Result targets = cli("soft-targets", "soft-targets.path=" + Cli.quoted(store));
        assertEquals(0, targets.exit(), targets::toString);
        Path studentDir = runDir.resolve("student-int8");
        Cli.Result distill = cli("distill", "soft-targets.path=" + Cli.quoted(store), "student.model.quantize=int8",
                "student.path=" + Cli.quoted(studentDir));
        assertEquals(0, distill.exit(), distill::toString);

        MultiLayerNetwork net = ModelArtifact.load(ArtifactFiles.local(), studentDir.toString());
        for (int i = 0; i < net.getnLayers(); i++) {
            assertTrue(((org.deeplearning4j.nn.conf.layers.BaseLayer) net.getLayer(i).conf().getLayer())
                    .getWeightNoise() instanceof io.distillery.model.FakeInt8Weights, "layer " + i);
        }
        Path exported = runDir.resolve("student-int8.onnx");
        double accuracy = exportPredictsAsDl4j(studentDir, exported);
        assertTrue(accuracy > 0.5, "accuracy " + accuracy);
        long int8Initializers = Onnx.ModelProto.parseFrom(Files.readAllBytes(exported)).getGraph()
                .getInitializerList().stream()
                .filter(t -> t.getDataType() == Onnx.TensorProto.DataType.INT8 && t.getDimsCount() == 2).count();
        assertEquals(2, int8Initializers, "int8 weight tensors of the 784-32-10 student");
    }

    @Test
    void postTrainingQuantisationMakesAnArtifactThatEvaluateAndExportOnnxUse() throws IOException {
        Path teacherDir = runDir.resolve("teacher");
        Path int8Dir = runDir.resolve("teacher-int8");
        Cli.Result quantize = Cli.run("quantize", "--model", teacherDir.toString(), "--output", int8Dir.toString());
        assertEquals(0, quantize.exit(), quantize::toString);

        ArtifactFiles files = ArtifactFiles.local();
        MultiLayerNetwork net = ModelArtifact.load(files, int8Dir.toString());
        for (int i = 0; i < net.getnLayers(); i++) {
            assertTrue(((org.deeplearning4j.nn.conf.layers.BaseLayer) net.getLayer(i).conf().getLayer())
                    .getWeightNoise() instanceof io.distillery.model.FakeInt8Weights, "layer " + i);
        }
        Provenance source = files.readProvenance(teacherDir.toString());
        Provenance quantized = files.readProvenance(int8Dir.toString());
        assertEquals(ModelArtifact.hash(files, teacherDir.toString()), quantized.fact(QuantizeJob.QUANTIZED_FROM));
        source.facts().forEach((k, v) -> assertEquals(v, quantized.fact(k), "fact " + k));

        // evaluate takes it beside its float32 source; rounding the weights costs little accuracy.
        Path evaluation = runDir.resolve("evaluation-int8");
        Cli.Result evaluate = Cli.run(Cli.args("evaluate", Cli.offlineConf(),
                overrides("evaluate.path=" + Cli.quoted(evaluation)), "--model", "teacher=" + teacherDir,
                "--model", "teacher-int8=" + int8Dir));
        assertEquals(0, evaluate.exit(), evaluate::toString);
        Map<String, Object> metrics = ProvenanceJson.mapper().readValue(evaluation.resolve("metrics.json").toFile(),
                new TypeReference<>() {
                });
        Map<?, ?> models = (Map<?, ?>) metrics.get("models");
        double floatAccuracy = ((Number) ((Map<?, ?>) models.get("teacher")).get("accuracy")).doubleValue();
        double int8Accuracy = ((Number) ((Map<?, ?>) models.get("teacher-int8")).get("accuracy")).doubleValue();
        System.out.printf("teacher: float32 accuracy %.4f, int8 %.4f%n", floatAccuracy, int8Accuracy);
        assertTrue(Math.abs(floatAccuracy - int8Accuracy) < 0.05, floatAccuracy + " against " + int8Accuracy);
        assertEquals(int8Accuracy, exportPredictsAsDl4j(int8Dir, runDir.resolve("teacher-int8.onnx")), 1e-9);

        Cli.Result again = Cli.run("quantize", "--model", int8Dir.toString(), "--output",
                runDir.resolve("twice").toString());
        assertTrue(again.exit() != 0 && again.err().contains("Model " + int8Dir + " already computes with int8 "
                + "weights (trained with model.quantize = int8); export-onnx stores them as int8."), again::toString);
        Cli.Result exists = Cli.run("quantize", "--model", teacherDir.toString(), "--output", int8Dir.toString());
        assertTrue(exists.exit() != 0 && exists.err().contains(int8Dir + " already exists"), exists::toString);
    }

    /**
     * Exports the model at {@code modelDir} to {@code onnxFile} with {@code export-onnx} and checks that ONNX Runtime
     * predicts the sample's test set as DL4J does within the tolerance.
     *
     * @return the export's test accuracy
     */
    private static double exportPredictsAsDl4j(Path modelDir, Path onnxFile) throws IOException {
        MultiLayerNetwork net = ModelArtifact.load(ArtifactFiles.local(), modelDir.toString());
        Cli.Result export = Cli.run("export-onnx", "--model", modelDir.toString(), "--output", onnxFile.toString());
        assertEquals(0, export.exit(), export::toString);
        Sample test = sampleTest();
        INDArray probabilities = net.output(Nd4j.create(test.features, new long[]{test.rows, 784}, 'c'), false);
        try (OnnxModel model = OnnxModel.open(Files.readAllBytes(onnxFile), onnxFile.toString(), 1)) {
            float[][] out = model.run(test.features, test.rows, List.of(OnnxExporter.PROBABILITIES))[0];
            double worst = 0;
            int correct = 0;
            for (int r = 0; r < test.rows; r++) {
                int best = 0;
                for (int c = 0; c < 10; c++) {
                    worst = Math.max(worst, Math.abs(out[r][c] - probabilities.getDouble(r, c)));
                    best = out[r][c] > out[r][best] ? c : best;
                }
                correct += best == test.labels[r] ? 1 : 0;
            }
            System.out.printf("ONNX %s: largest difference from DL4J %.3g, test accuracy %.4f%n", modelDir, worst,
                    correct / (double) test.rows);
            assertTrue(worst <= TOLERANCE, onnxFile + ": largest difference " + worst);
            return correct / (double) test.rows;
        }
    }

    /** Both stores hold the same ids with the same logits and taps within the tolerance. */
    private static void assertSameStore(String expectedStore, String actualStore) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("OnnxTeacherTest")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<Long, Row> expected = new HashMap<>();
            for (Row r : read(spark, expectedStore)) {
                expected.put(r.getLong(r.fieldIndex("id")), r);
            }
            List<Row> actual = read(spark, actualStore);
            assertEquals(expected.size(), actual.size());
            double worst = 0;
            for (Row a : actual) {
                Row e = expected.get(a.getLong(a.fieldIndex("id")));
                for (String column : List.of("teacher_logits", "tap_h1")) {
                    List<Float> ev = e.getList(e.fieldIndex(column));
                    List<Float> av = a.getList(a.fieldIndex(column));
                    assertEquals(ev.size(), av.size(), column);
                    for (int i = 0; i < ev.size(); i++) {
                        worst = Math.max(worst, Math.abs(ev.get(i) - av.get(i)));
                    }
                }
            }
            System.out.printf("%s vs %s: largest difference %.3g%n", actualStore, expectedStore, worst);
            assertTrue(worst <= TOLERANCE, actualStore + ": largest difference " + worst);
        } finally {
            spark.stop();
        }
    }

    private static List<Row> read(SparkSession spark, String store) {
        return spark.read().option("pathGlobFilter", "*.parquet").parquet(runDir.resolve(store).toString())
                .collectAsList();
    }

    private record Sample(float[] features, int[] labels, int rows) {
    }

    private static Sample sampleTest() {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("OnnxTeacherTest")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(Cli.sampleTest().toString()).orderBy("id").collectAsList();
            float[] x = new float[rows.size() * 784];
            int[] labels = new int[rows.size()];
            List<Integer> widths = new ArrayList<>();
            for (int r = 0; r < rows.size(); r++) {
                List<Float> f = rows.get(r).getList(rows.get(r).fieldIndex("features"));
                widths.add(f.size());
                for (int i = 0; i < 784; i++) {
                    x[r * 784 + i] = f.get(i);
                }
                labels[r] = rows.get(r).getInt(rows.get(r).fieldIndex("label"));
            }
            assertTrue(widths.stream().allMatch(w -> w == 784));
            return new Sample(x, labels, rows.size());
        } finally {
            spark.stop();
        }
    }

    private static void assertClose(double[][] expected, float[][] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int r = 0; r < expected.length; r++) {
            assertEquals(expected[r].length, actual[r].length, what);
            for (int c = 0; c < expected[r].length; c++) {
                assertEquals(expected[r][c], actual[r][c], tolerance, what + "[" + r + "][" + c + "]");
            }
        }
    }
}
