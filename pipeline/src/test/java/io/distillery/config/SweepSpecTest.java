package io.distillery.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep's grid: names, widened units, cut and extended depths, the defaults and the refusals. */
class SweepSpecTest {
    private static LayerSpec dense(String name, int units) {
        return new LayerSpec("dense", name, units, 2, 1, "relu", 0);
    }

    @Test
    void widthsScaleUnitsAndDepthsCutOrExtendTheWeightLayers() {
        ModelSpec student = new ModelSpec(List.of(dense("h1", 32), new LayerSpec("pool", "p", 0, 2, 2, "relu", 0),
                dense("h2", 16)), "adam", 1e-3, 0, 0, 0);
        SweepSpec sweep = new SweepSpec("/s", List.of(0.5, 2.0), List.of(1, 3));
        List<SweepSpec.Point> points = sweep.points(student);
        assertEquals(List.of("w0.5-d1", "w0.5-d3", "w2-d1", "w2-d3"),
                points.stream().map(SweepSpec.Point::name).toList());
        // Depth 1: the first weight layer and the pooling after it, as derive-from-teacher cuts.
        assertEquals(List.of(dense("h1", 16), new LayerSpec("pool", "p", 0, 2, 2, "relu", 0)),
                points.get(0).layers());
        // Depth 3: both layers (the pool between them kept), then a copy of the last weight layer.
        List<LayerSpec> deep = points.get(3).layers();
        assertEquals(List.of("h1", "p", "h2", "h2-2"), deep.stream().map(LayerSpec::name).toList());
        assertEquals(List.of(64, 0, 32, 32), deep.stream().map(LayerSpec::units).toList());
        assertEquals("/s/w2-d3", sweep.pointPath(points.get(3)));
        assertEquals("/s/evaluation", sweep.evaluationPath());
        // No depths: the student's own (2 weight layers); a width of 1 and 1.0 is one point.
        assertEquals(List.of("w1-d2"), new SweepSpec("/s", List.of(1.0, 1.00), List.of()).points(student).stream()
                .map(SweepSpec.Point::name).toList());
    }

    @Test
    void aPointIsTheStudentOfItsOwnConfig() {
        DistilleryConfig cfg = ConfigLoader.load(null, List.of("data.train=/t", "data.test=/v",
                "sweep.widths=[0.25]", "sweep.depths=[2]"));
        assertEquals(List.of(0.25), cfg.sweep().widths());
        SweepSpec.Point p = cfg.sweep().points(cfg.studentModel()).get(0);
        DistilleryConfig point = cfg.forSweepPoint(p);
        assertEquals(p.layers(), point.studentModel().layers());
        assertEquals(cfg.sweep().pointPath(p), point.student().path());
        assertEquals(cfg.teacher(), point.teacher());
        assertEquals("/x/evaluation", cfg.withEvaluationPath("/x/evaluation").evaluate().path());
    }

    @Test
    void refusesEmptyOrNonPositiveWidthsAndDepths() {
        DistilleryException widths = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, List.of("data.train=/t", "data.test=/v", "sweep.widths=[]")));
        assertTrue(widths.getMessage().contains("distillery.sweep.widths is []"), widths.getMessage());
        DistilleryException depths = assertThrows(DistilleryException.class,
                () -> ConfigLoader.load(null, List.of("data.train=/t", "data.test=/v", "sweep.depths=[0]")));
        assertTrue(depths.getMessage().contains("distillery.sweep.depths is [0]"), depths.getMessage());
    }
}
