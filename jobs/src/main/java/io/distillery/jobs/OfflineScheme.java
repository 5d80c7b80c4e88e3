package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Offline distillation: the student from the fixed teacher's store, and the same student without it. */
final class OfflineScheme implements Scheme {
    @Override
    public String name() {
        return "offline";
    }

    @Override
    public boolean needsTeacher(DistilleryConfig cfg) {
        return true;
    }

    @Override
    public void preflight(DistilleryConfig cfg) {
        DistillJob.preflight(cfg);
    }

    @Override
    public List<Stage> stages(JobContext ctx) {
        DistilleryConfig cfg = ctx.config();
        return List.of(distill(ctx, cfg, false), distill(ctx, cfg, true));
    }

    private static Stage distill(JobContext ctx, DistilleryConfig cfg, boolean baseline) {
        return new Stage(baseline ? "distill --baseline" : "distill", DistillJob.outputPath(cfg, baseline),
                () -> DistillJob.fingerprint(ctx, baseline,
                        DistillJob.checkStore(ctx, cfg.softTargets().path()).fact(Fingerprint.FACT)),
                () -> DistillJob.run(ctx, baseline));
    }

    @Override
    public Map<String, String> models(DistilleryConfig cfg) {
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("student", cfg.student().path());
        paths.put("baseline", cfg.baselinePath());
        return paths;
    }
}
