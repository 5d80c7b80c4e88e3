package io.distillery.jobs;

import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Feature- and relation-based terms from config alone, through the CLI on the committed sample: the student is
 * trained as a graph with auxiliary heads by parameter averaging on {@code local[2]}, the exported model has exactly
 * the student's layers, and the full formula is recorded; bad layer names fail with exit 2 before any training.
 */
class FeatureTermsTest {
    @TempDir
    static Path dir;

    /** A small dense teacher with a tapped 24-wide layer; the sample config's student is 784-32-10 (hidden1). */
    private static List<String> dense(String... more) {
        List<String> o = new ArrayList<>(List.of(
                "run-dir=" + Cli.quoted(dir.resolve("dense")),
                "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "teacher.model.layers=[{type=dense,name=h1,units=48},{type=dense,name=h2,units=24}]",
                "teacher.train.epochs=1",
                "student.train.epochs=2",
                "soft-targets.taps=[h2]"));
        o.addAll(List.of(more));
        return o;
    }

    @BeforeAll
    static void teacherAndStore() {
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), dense())).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), dense())).exit());
    }

    private static void distilsWith(String student, String loss, String expectedFormula) {
        Path out = dir.resolve(student);
        Cli.Result r = Cli.run(Cli.args("distill", Cli.offlineConf(), dense(
                "student.path=" + Cli.quoted(out), "distill.loss=" + loss)));
        assertEquals(0, r.exit(), r::toString);
        MultiLayerNetwork exported = ModelArtifact.load(ArtifactFiles.local(), out.toString());
        assertEquals(List.of("hidden1", "output"), exported.getLayerNames(), "regressors and heads are dropped");
        assertEquals(784 * 32 + 32 + 32 * 10 + 10, exported.numParams());
        Provenance p = ArtifactFiles.local().readProvenance(out.toString());
        assertEquals(expectedFormula, p.fact("loss"));
        assertFalse(Files.exists(Path.of(out + ".checkpoints")), "checkpoints are cleared after the export");
    }

    @Test
    void hintPlusKd() {
        distilsWith("hint-student", "[{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1},"
                        + "{term=hint,weight=1.0,student-layer=hidden1,teacher-layer=h2}]",
                "0.9 * kd(T=4) + 0.1 * ce + 1 * hint(hidden1 -> h2)");
    }

    @Test
    void similarityPlusKd() {
        distilsWith("similarity-student", "[{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1},"
                        + "{term=similarity,weight=3000,student-layer=hidden1,teacher-layer=h2}]",
                "0.9 * kd(T=4) + 0.1 * ce + 3000 * similarity(hidden1 -> h2)");
    }

    @Test
    void rkdPlusKd() {
        distilsWith("rkd-student", "[{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1},"
                        + "{term=rkd,weight=1,student-layer=hidden1,teacher-layer=h2,angle=25}]",
                "0.9 * kd(T=4) + 0.1 * ce + 1 * rkd(hidden1 -> h2, angle=25, distance=25)");
    }

    @Test
    void unknownStudentLayerFailsBeforeTraining() {
        Path out = dir.resolve("bad-student");
        Cli.Result r = Cli.run(Cli.args("distill", Cli.offlineConf(), dense("student.path=" + Cli.quoted(out),
                "distill.loss=[{term=kd,weight=1,temperature=4},{term=hint,weight=1,student-layer=hiden1,"
                        + "teacher-layer=h2}]")));
        assertEquals(2, r.exit(), r::toString);
        assertEquals("error: Key student-layer of distillery.distill.loss term 'hint' is 'hiden1', which is not a "
                + "hidden layer of the student; its hidden layers are [hidden1].", r.error());
        assertFalse(Files.exists(out));
    }

    @Test
    void untappedTeacherLayerFailsBeforeTraining() {
        Path out = dir.resolve("bad-tap");
        Cli.Result r = Cli.run(Cli.args("distill", Cli.offlineConf(), dense("student.path=" + Cli.quoted(out),
                "distill.loss=[{term=kd,weight=1,temperature=4},{term=similarity,weight=1,student-layer=hidden1,"
                        + "teacher-layer=h1}]")));
        assertEquals(2, r.exit(), r::toString);
        assertEquals("error: Key teacher-layer of distillery.distill.loss term 'similarity' is 'h1', which the "
                + "soft-target store does not hold; its taps are [h2] (distillery.soft-targets.taps).", r.error());
        assertFalse(Files.exists(out));
    }

    @Test
    void runChecksTheTermsBeforeTrainingTheTeacher() {
        Path runDir = dir.resolve("preflight");
        Cli.Result r = Cli.run(Cli.args("run", Cli.offlineConf(), dense("run-dir=" + Cli.quoted(runDir),
                "distill.loss=[{term=kd,weight=1,temperature=4},{term=hints,weight=1}]")));
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("'hints' is unknown; known terms are [attention, ce, dkd, hint, kd, "
                + "logit-mse, rkd, similarity]"), r.error());
        assertFalse(Files.exists(runDir.resolve("teacher")));
    }

    @Test
    void attentionBetweenConvolutionalLayers(@TempDir Path conv) {
        // Teacher conv 5x5 (4 channels, 24x24) tapped; student conv 5x5 (2 channels, 24x24): same spatial size.
        List<String> o = new ArrayList<>(List.of(
                "run-dir=" + Cli.quoted(conv.resolve("run")),
                "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "data.input-shape=[1,28,28]",
                "teacher.model.layers=[{type=conv,name=conv1,units=4,kernel=5},{type=pool,kernel=2},"
                        + "{type=dense,name=h1,units=32}]",
                "teacher.train.epochs=1",
                "student.model.layers=[{type=conv,name=c1,units=2,kernel=5},{type=pool,name=p1,kernel=2},"
                        + "{type=dense,name=hidden1,units=16}]",
                "student.train.epochs=1",
                "soft-targets.taps=[conv1]",
                "distill.loss=[{term=kd,weight=0.9,temperature=4},{term=ce,weight=0.1},"
                        + "{term=attention,weight=500,student-layer=c1,teacher-layer=conv1},"
                        + "{term=hint,weight=1,student-layer=c1,teacher-layer=conv1}]"));
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), o)).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), o)).exit());
        Cli.Result r = Cli.run(Cli.args("distill", Cli.offlineConf(), o));
        assertEquals(0, r.exit(), r::toString);
        MultiLayerNetwork exported = ModelArtifact.load(ArtifactFiles.local(), conv.resolve("run/student").toString());
        assertEquals(List.of("c1", "p1", "hidden1", "output"), exported.getLayerNames());
        assertEquals("0.9 * kd(T=4) + 0.1 * ce + 500 * attention(c1 -> conv1) + 1 * hint(c1 -> conv1)",
                ArtifactFiles.local().readProvenance(conv.resolve("run/student").toString()).fact("loss"));

        // A student layer of another spatial size is refused in one sentence, before training.
        List<String> pooled = new ArrayList<>(o);
        pooled.add("student.path=" + Cli.quoted(conv.resolve("pooled")));
        pooled.add("distill.loss=[{term=kd,weight=1,temperature=4},"
                + "{term=attention,weight=500,student-layer=p1,teacher-layer=conv1}]");
        Cli.Result bad = Cli.run(Cli.args("distill", Cli.offlineConf(), pooled));
        assertEquals(2, bad.exit(), bad::toString);
        assertEquals("error: Loss term 'attention' needs equal spatial sizes, but student layer 'p1' is 12x12 and "
                + "teacher layer 'conv1' is 24x24.", bad.error());
    }
}
