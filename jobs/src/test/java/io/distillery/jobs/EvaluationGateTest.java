package io.distillery.jobs;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryException;
import io.distillery.config.GateSpec;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gate's judgement over metrics documents, from the config as a user writes it (no Spark). */
class EvaluationGateTest {
    private static final Map<String, Object> MODELS = Map.of(
            "teacher", Map.of("accuracy", 0.85, "agreementWithTeacher", 1.0),
            "student", Map.of("accuracy", 0.74, "agreementWithTeacher", 0.81),
            "baseline", Map.of("accuracy", 0.70, "agreementWithTeacher", 0.77));

    private static GateSpec gate(String... overrides) {
        return ConfigLoader.load(Cli.offlineConf().toFile(), List.of(overrides)).evaluate().gate();
    }

    @Test
    void noThresholdsIsNoGate() {
        assertEquals(false, gate().active());
    }

    @Test
    void passesAtAndAboveEveryThreshold() {
        GateSpec g = gate("evaluate.gate.min-accuracy.student=0.74", "evaluate.gate.min-accuracy.teacher=0.8",
                "evaluate.gate.min-agreement-with-teacher.student=0.8", "evaluate.gate.max-accuracy-drop.student=0.02");
        EvaluationGate.Verdict v = EvaluationGate.judge(g, MODELS,
                Map.of("student", Map.of("accuracy", 0.76)), "prev/metrics.json");
        assertEquals(List.of(), v.violations());
        assertTrue(v.passed());
    }

    @Test
    void listsEveryViolatedThresholdInOneSentenceEach() {
        GateSpec g = gate("evaluate.gate.min-accuracy.student=0.75", "evaluate.gate.min-accuracy.baseline=0.71",
                "evaluate.gate.min-agreement-with-teacher.student=0.9", "evaluate.gate.max-accuracy-drop.student=0.01");
        EvaluationGate.Verdict v = EvaluationGate.judge(g, MODELS,
                Map.of("student", Map.of("accuracy", 0.76)), "prev/metrics.json");
        assertEquals(List.of(
                "Model baseline has accuracy 0.7000, below distillery.evaluate.gate.min-accuracy.baseline = 0.71.",
                "Model student has accuracy 0.7400, below distillery.evaluate.gate.min-accuracy.student = 0.75.",
                "Model student agrees with the teacher on 0.8100 of the test rows, below "
                        + "distillery.evaluate.gate.min-agreement-with-teacher.student = 0.9.",
                "Model student has accuracy 0.7400, 0.0200 below the previous run's 0.7600 (prev/metrics.json), more "
                        + "than distillery.evaluate.gate.max-accuracy-drop.student = 0.01."), v.violations());
        assertEquals(false, v.passed());
    }

    @Test
    void aFirstRunPassesTheDropThresholdAndSaysSo() {
        GateSpec g = gate("evaluate.gate.max-accuracy-drop.student=0.0");
        EvaluationGate.Verdict v = EvaluationGate.judge(g, MODELS, null, "runs/yesterday/evaluation/metrics.json");
        assertTrue(v.passed());
        assertEquals(List.of("No previous metrics at runs/yesterday/evaluation/metrics.json, so the accuracy drop of "
                + "student was not checked (a first run passes)."), v.notes());
    }

    @Test
    void aModelThatWasNotEvaluatedFailsTheGate() {
        GateSpec g = gate("evaluate.gate.min-accuracy.baseline=0.5");
        EvaluationGate.Verdict v = EvaluationGate.judge(g, Map.of("student", MODELS.get("student")), null, null);
        assertEquals(List.of("Model baseline was not evaluated (no committed model), but "
                + "distillery.evaluate.gate.min-accuracy.baseline names it."), v.violations());
    }

    @Test
    void refusesThresholdsForModelsTheEvaluationCannotProduce() {
        GateSpec g = gate("evaluate.gate.min-accuracy.studnet=0.5", "evaluate.gate.max-accuracy-drop.teachr=0.1");
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> EvaluationGate.checkModels(g, List.of("teacher", "student", "baseline")));
        assertEquals("Key distillery.evaluate.gate names model 'studnet' (in "
                + "distillery.evaluate.gate.min-accuracy.studnet) but this evaluation has only the models [teacher, "
                + "student, baseline]. Key distillery.evaluate.gate names model 'teachr' (in "
                + "distillery.evaluate.gate.max-accuracy-drop.teachr) but this evaluation has only the models "
                + "[teacher, student, baseline].", e.getMessage());
    }

    @Test
    void refusesThresholdsOutsideZeroToOne() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> gate("evaluate.gate.min-accuracy.student=70", "evaluate.gate.max-accuracy-drop.student=x"));
        assertTrue(e.getMessage().contains("Key distillery.evaluate.gate.min-accuracy.student is 70.0; it must be "
                + "in [0, 1]."), e.getMessage());
        assertTrue(e.getMessage().contains("Key distillery.evaluate.gate.max-accuracy-drop.student is \"x\""),
                e.getMessage());
    }

    @Test
    void readsThePreviousRunFromItsDirectoryOrFile(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("metrics.json"), "{\"models\": {\"student\": {\"accuracy\": 0.7}}}");
        ArtifactFiles files = ArtifactFiles.local();
        for (String previous : List.of(dir.toString(), dir + "/", dir.resolve("metrics.json").toString())) {
            GateSpec g = gate("evaluate.gate.previous=" + Cli.quoted(Path.of(previous)));
            assertEquals(Map.of("student", Map.of("accuracy", 0.7)), EvaluationGate.readPrevious(files, g));
        }
        assertNull(EvaluationGate.readPrevious(files, gate("evaluate.gate.previous="
                + Cli.quoted(dir.resolve("missing")))));
        Files.writeString(dir.resolve("metrics.json"), "{\"accuracy\": 0.7}");
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> EvaluationGate.readPrevious(files, gate("evaluate.gate.previous=" + Cli.quoted(dir))));
        assertTrue(e.getMessage().contains("has no 'models' entry"), e.getMessage());
    }
}
