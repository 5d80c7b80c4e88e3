package io.distillery.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ConfigLoader}: defaults, {@code -P} overrides, and one clear sentence for every kind of bad config. */
class ConfigLoaderTest {

    /** The data paths are the only keys without a usable default. */
    private static List<String> withData(String... more) {
        List<String> o = new ArrayList<>(List.of("data.train=/data/train", "data.test=/data/test"));
        o.addAll(List.of(more));
        return o;
    }

    @Test
    void defaultsLoad() {
        DistilleryConfig cfg = ConfigLoader.load(null, withData());
        assertEquals(42, cfg.seed());
        assertEquals("target/distillery-run", cfg.runDir());
        assertEquals("target/distillery-run/teacher", cfg.teacher().path());
        assertEquals("target/distillery-run/soft-targets", cfg.softTargets().path());
        assertEquals("target/distillery-run/student", cfg.student().path());
        assertEquals("target/distillery-run/baseline", cfg.baselinePath());
        assertEquals("target/distillery-run/evaluation", cfg.evaluate().path());
        assertEquals(0, cfg.data().numClasses());  // from the data
        assertEquals("none", cfg.data().scaling());
        assertEquals(2, cfg.teacher().model().layers().size());
        assertEquals(1200, cfg.teacher().model().layers().get(0).units());
        assertEquals(0.2, cfg.teacher().model().layers().get(0).dropout());
        assertEquals(10, cfg.teacher().train().epochs());
        assertEquals(4.0, cfg.distill().temperature());
        assertEquals(0.9, cfg.distill().alpha());
        assertEquals(List.of(), cfg.softTargets().taps());
    }

    @Test
    void csvOptionsAndTheLabelPosition() {
        DataSpec d = ConfigLoader.load(null, withData()).data();
        assertEquals(-1, d.labelIndex());
        assertEquals(DataSpec.Csv.DEFAULT, d.csv());
        d = ConfigLoader.load(null, withData("data.format=csv", "data.csv.header=false", "data.csv.delimiter=\"\\t\"",
                "data.label-index=0")).data();
        assertEquals(new DataSpec.Csv(false, "\t"), d.csv());
        assertEquals(0, d.labelIndex());
        assertEquals(d.csv(), d.forHeldOut().csv());
        assertEquals(0, d.forHeldOut().labelIndex());

        DistilleryException e = assertThrows(DistilleryException.class, () -> ConfigLoader.load(null,
                withData("data.csv.delimiter=\"\"", "data.label-index=-2")));
        assertTrue(e.getMessage().contains("Key distillery.data.csv.delimiter is empty"), e.getMessage());
        assertTrue(e.getMessage().contains("Key distillery.data.label-index is -2"), e.getMessage());
        e = assertThrows(DistilleryException.class, () -> ConfigLoader.load(null, withData("data.csv.header=maybe")));
        assertTrue(e.getMessage().contains("distillery.data.csv.header") && e.getMessage().contains("maybe"),
                e.getMessage());
    }

    @Test
    void quantizeIsNoneByDefaultAndOnlyNoneOrInt8() {
        assertEquals("none", ConfigLoader.load(null, withData()).student().model().quantize());
        assertTrue(ConfigLoader.load(null, withData("student.model.quantize=int8")).student().model().int8());
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, withData("student.model.quantize=int4")));
        assertTrue(e.getMessage().contains("Key distillery.student.model.quantize is 'int4'; use none or int8."),
                e.getMessage());
    }

    @Test
    void missingDataPathsAreReportedTogether() {
        DistilleryException e = assertThrows(DistilleryException.class, () -> ConfigLoader.load(null, List.of()));
        assertTrue(e.getMessage().contains("distillery.data.train"), e.getMessage());
        assertTrue(e.getMessage().contains("distillery.data.test"), e.getMessage());
    }

    @Test
    void overridesWithAndWithoutPrefix() {
        DistilleryConfig cfg = ConfigLoader.load(null,
                withData("seed=7", "distillery.distill.alpha=0.5", "run-dir=\"/runs/x\"",
                        "teacher.model.layers=[{type=dense,name=h1,units=64}]", "soft-targets.taps=[h1]"));
        assertEquals(7, cfg.seed());
        assertEquals(0.5, cfg.distill().alpha());
        // Stage paths default under run-dir, resolved after the override.
        assertEquals("/runs/x/teacher", cfg.teacher().path());
        assertEquals("/runs/x/evaluation", cfg.evaluate().path());
        assertEquals(1, cfg.teacher().model().layers().size());
        assertEquals("h1", cfg.teacher().model().layers().get(0).name());
        assertEquals(64, cfg.teacher().model().layers().get(0).units());
        assertEquals(List.of("h1"), cfg.softTargets().taps());
    }

    @Test
    void overrideBeatsFile(@TempDir Path dir) throws IOException {
        File f = dir.resolve("run.conf").toFile();
        Files.writeString(f.toPath(), "distillery { seed = 3, data { train = a, test = b } }\n");
        assertEquals(3, ConfigLoader.load(f, List.of()).seed());
        assertEquals(9, ConfigLoader.load(f, List.of("seed=9")).seed());
    }

    @Test
    void unknownOverrideKeyIsNamed() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, withData("teacher.modle.layers=[{units=8}]")));
        assertTrue(e.getMessage().contains("distillery.teacher.modle.layers"), e.getMessage());
    }

    @Test
    void unknownFileKeyIsNamed(@TempDir Path dir) throws IOException {
        File f = dir.resolve("bad.conf").toFile();
        Files.writeString(f.toPath(), "distillery { foo = 1, data { train = a, test = b } }\n");
        DistilleryException e = assertThrows(DistilleryException.class, () -> ConfigLoader.load(f, List.of()));
        assertTrue(e.getMessage().contains("distillery.foo"), e.getMessage());
    }

    @Test
    void missingConfigFileIsNamed(@TempDir Path dir) {
        File f = dir.resolve("nope.conf").toFile();
        DistilleryException e = assertThrows(DistilleryException.class, () -> ConfigLoader.load(f, List.of()));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void wrongTypeNamesTheKeyAndValue() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, withData("teacher.train.epochs=many")));
        assertTrue(e.getMessage().contains("distillery.teacher.train.epochs"), e.getMessage());
        assertTrue(e.getMessage().contains("many"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void wrongTypeInsideALayerNamesTheLayer() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, withData("student.model.layers=[{type=dense,units=lots}]")));
        assertTrue(e.getMessage().contains("units"), e.getMessage());
        assertTrue(e.getMessage().contains("lots"), e.getMessage());
    }

    @Test
    void invalidValuesAreReportedTogether() {
        DistilleryException e = assertThrows(DistilleryException.class, () -> ConfigLoader.load(null,
                withData("teacher.train.epochs=-1", "distill.alpha=2",
                        "teacher.model.layers=[{type=dense,name=h1,units=8,dropout=1}]")));
        String m = e.getMessage();
        assertTrue(m.contains("distillery.teacher.train.epochs is -1"), m);
        assertTrue(m.contains("distillery.distill.alpha is 2.0"), m);
        assertTrue(m.contains("distillery.teacher.model.layers[0] has dropout = 1.0"), m);
    }

    @Test
    void overrideWithoutEqualsSignIsRejected() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, withData("seed")));
        assertTrue(e.getMessage().contains("'seed'"), e.getMessage());
    }

    @Test
    void deriveFromTeacherKeepsLeadingWeightLayersScaled() {
        DistilleryConfig cfg = ConfigLoader.load(null, withData(
                "data.input-shape=[1,28,28]",
                "teacher.model.layers=[{type=conv,name=c1,units=8,kernel=3},{type=pool,name=p1},"
                        + "{type=conv,name=c2,units=16,kernel=3},{type=pool,name=p2},{type=dense,name=d1,units=100}]",
                "student.model.layers=[]",
                "student.model.derive-from-teacher={depth=0.5,width=0.25}"));
        assertTrue(cfg.student().model().derivedFromTeacher());
        ModelSpec s = cfg.studentModel();
        // 3 weight layers * 0.5 -> ceil = 2 kept (c1, c2), the pools up to the first dropped weight layer too.
        assertEquals(List.of("c1", "p1", "c2", "p2"), s.layers().stream().map(LayerSpec::name).toList());
        assertEquals(2, s.layers().get(0).units());
        assertEquals(4, s.layers().get(2).units());
        assertEquals(3, s.layers().get(0).kernel());
        assertEquals(cfg.student().model().updater(), s.updater());
        assertFalse(s.derivedFromTeacher());

        ModelSpec dense = ConfigLoader.load(null, withData(
                "teacher.model.layers=[{name=a,units=1200},{name=b,units=1200}]",
                "student.model.layers=[]",
                "student.model.derive-from-teacher={depth=0.5,width=0.1}")).studentModel();
        assertEquals(List.of("a"), dense.layers().stream().map(LayerSpec::name).toList());
        assertEquals(120, dense.layers().get(0).units());
    }

    @Test
    void emptyStudentWithoutDerivationIsRejected() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, withData("student.model.layers=[]")));
        assertTrue(e.getMessage().contains("distillery.student.model.layers"), e.getMessage());
    }
}
