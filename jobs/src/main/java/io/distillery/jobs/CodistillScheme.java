package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;

import java.util.List;
import java.util.Map;

/**
 * Co-distillation and deep mutual learning: the models of {@code distillery.codistill}, trained together. Its
 * config ({@code CodistillSpec}) is validated when the config is loaded; it needs the teacher only when the models
 * also learn from the store.
 */
final class CodistillScheme implements Scheme {
    @Override
    public String name() {
        return "codistill";
    }

    @Override
    public boolean needsTeacher(DistilleryConfig cfg) {
        return cfg.codistill().usesTeacher();
    }

    @Override
    public void preflight(DistilleryConfig cfg) {
        // Everything else the config alone decides was checked when it was loaded (CodistillSpec).
        Inputs.refuseStudentView(cfg, "codistill");
    }

    @Override
    public List<Stage> stages(JobContext ctx) {
        return List.of(new Stage(CodistillJob.STAGE, ctx.config().codistill().path(),
                () -> CodistillJob.fingerprint(ctx), () -> CodistillJob.run(ctx)));
    }

    @Override
    public Map<String, String> models(DistilleryConfig cfg) {
        return CodistillJob.modelPaths(cfg.codistill());
    }
}
