package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Self-distillation in {@code run}: the multi-exit student taught by its deepest exit (and, with
 * {@code self-distill.teacher}, by the teacher's store, which {@code run} then makes first), and the same exits
 * trained on the labels alone from {@code data.train}. {@code evaluate} reports every exit of both, as the
 * plain network that stops at it, so the rows per second of a shallow exit are those of inference stopped there.
 */
final class SelfDistillScheme implements Scheme {
    @Override
    public String name() {
        return SelfDistillJob.STAGE;
    }

    @Override
    public boolean needsTeacher(DistilleryConfig cfg) {
        return cfg.selfDistill().teacher();
    }

    @Override
    public void preflight(DistilleryConfig cfg) {
        SelfDistillJob.preflight(cfg);
    }

    @Override
    public List<Stage> stages(JobContext ctx) {
        return List.of(stage(ctx, false), stage(ctx, true));
    }

    private static Stage stage(JobContext ctx, boolean alone) {
        return new Stage(alone ? "self-distill --alone" : "self-distill",
                SelfDistillJob.outputPath(ctx.config().selfDistill(), alone),
                () -> SelfDistillJob.fingerprint(ctx, alone), () -> SelfDistillJob.run(ctx, alone));
    }

    /** Every exit of both runs, as the plain network that stops there: {@code self-distill@exit-hidden1}, ... */
    @Override
    public Map<String, String> models(DistilleryConfig cfg) {
        Map<String, String> paths = new LinkedHashMap<>();
        for (boolean alone : new boolean[]{false, true}) {
            String path = SelfDistillJob.outputPath(cfg.selfDistill(), alone);
            for (String exit : io.distillery.model.ExitGraph.outputs(cfg.selfDistill().exits())) {
                paths.put((alone ? "alone@" : "self-distill@") + exit, SelfDistillJob.exitPath(path, exit));
            }
        }
        return paths;
    }
}
