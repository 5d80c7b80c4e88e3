package io.distillery.jobs;

import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.testing.Cli;
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
 * {@code distill.loss} from config alone: a weighted sum of registered terms trains the student and its formula is
 * recorded in provenance; an unknown term fails before training, listing the known ones, and writes nothing.
 */
class LossConfigTest {
    @TempDir
    static Path dir;

    private static List<String> overrides(String... more) {
        List<String> o = new ArrayList<>(List.of(
                "run-dir=" + Cli.quoted(dir.resolve("run")),
                "data.train=" + Cli.quoted(Cli.sampleTrain()),
                "data.test=" + Cli.quoted(Cli.sampleTest()),
                "teacher.model.layers=[{type=dense,name=h1,units=32}]",
                "teacher.train.epochs=1",
                "student.train.epochs=2",
                "soft-targets.taps=[]"));
        o.addAll(List.of(more));
        return o;
    }

    @BeforeAll
    static void teacherAndStore() {
        assertEquals(0, Cli.run(Cli.args("train-teacher", Cli.offlineConf(), overrides())).exit());
        assertEquals(0, Cli.run(Cli.args("soft-targets", Cli.offlineConf(), overrides())).exit());
    }

    @Test
    void weightedTermsFromConfigTrainTheStudent() {
        Cli.Result r = Cli.run(Cli.args("distill", Cli.offlineConf(), overrides(
                "distill.loss=[{term=kd,weight=0.5,temperature=2},{term=dkd,weight=0.4,temperature=2,beta=4},"
                        + "{term=ce,weight=0.1}]")));
        assertEquals(0, r.exit(), r::toString);
        Provenance p = ArtifactFiles.local().readProvenance(dir.resolve("run/student").toString());
        assertTrue(p.fact("loss").contains("0.5 * kd(") && p.fact("loss").contains("dkd(")
                && p.fact("loss").contains("0.1 * ce"), p.fact("loss"));
    }

    @Test
    void unknownTermFailsListingTheKnownOnes() {
        Cli.Result r = Cli.run(Cli.args("distill", Cli.offlineConf(), overrides(
                "student.path=" + Cli.quoted(dir.resolve("other-student")),
                "distill.loss=[{term=kdd,weight=1.0}]")));
        assertEquals(2, r.exit(), r::toString);
        String error = r.error();
        assertTrue(error.contains("'kdd'") && error.contains("kd") && error.contains("dkd"), error);
        assertFalse(Files.exists(dir.resolve("other-student")));
    }
}
