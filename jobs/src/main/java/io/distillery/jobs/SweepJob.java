package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.SweepSpec;
import io.distillery.provenance.Provenance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sweep}: the student-size grid of {@code distillery.sweep}, each size distilled from the one soft-target
 * store exactly as {@code distill} trains the student (the same objective, schedule and store), then all of them
 * evaluated with the teacher on the test set in one pass; the report plots accuracy against parameters and against
 * rows/s with the Pareto fronts. Like {@code run}, a size whose artifact is committed with the fingerprint it would
 * get is skipped, and one made otherwise is refused unless {@code --overwrite}.
 */
public final class SweepJob {
    /** Key of the sweep's point names (in grid order) in its {@code metrics.json}. */
    public static final String SWEEP = "sweep";

    private SweepJob() {
    }

    /** The teacher and every point of the grid, by report name, in grid order. */
    public static Map<String, String> modelPaths(DistilleryConfig cfg) {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("teacher", cfg.teacher().path());
        for (SweepSpec.Point p : cfg.sweep().points(cfg.studentModel())) {
            paths.put(p.name(), cfg.sweep().pointPath(p));
        }
        return paths;
    }

    /** Distils the missing sizes, evaluates the grid and returns the sweep's metrics document. */
    public static Map<String, Object> run(JobContext ctx) {
        DistilleryConfig cfg = ctx.config();
        SweepSpec sweep = cfg.sweep();
        List<SweepSpec.Point> points = sweep.points(cfg.studentModel());
        List<DistilleryConfig> configs = points.stream().map(cfg::forSweepPoint).toList();
        configs.forEach(DistillJob::preflight);  // a size the loss's feature terms cannot train fails before any
        Provenance store = DistillJob.checkStore(ctx, cfg.softTargets().path());
        for (int i = 0; i < points.size(); i++) {
            JobContext point = ctx.withConfig(configs.get(i));
            String path = sweep.pointPath(points.get(i));
            PipelineRun.stage(point, "sweep " + points.get(i).name(), path,
                    () -> DistillJob.fingerprint(point, false, store.fact(Fingerprint.FACT)),
                    () -> DistillJob.run(point, false));
        }
        JobContext evaluation = ctx.withConfig(cfg.withEvaluationPath(sweep.evaluationPath()));
        Map<String, String> models = modelPaths(cfg);
        Map<String, Object> extra = Map.of(SWEEP, points.stream().map(SweepSpec.Point::name).toList());
        PipelineRun.stage(evaluation, "sweep evaluate", sweep.evaluationPath(),
                () -> EvaluateJob.fingerprint(evaluation, models),
                () -> EvaluateJob.run(evaluation, models, "teacher", extra));
        return Reports.readMetrics(evaluation, sweep.evaluationPath());
    }
}
