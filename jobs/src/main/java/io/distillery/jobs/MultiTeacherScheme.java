package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.MultiTeacherSpec;
import io.distillery.model.ModelArtifact;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Multi-teacher offline distillation in {@code run}: each teacher of {@code multi-teacher.teachers} trained and run
 * into its own store by the same jobs that make the one teacher ({@link DistilleryConfig#forTeacher}), then the
 * student from all the stores ({@link MultiTeacherJob}) and, unless the offline scheme runs too, the student alone
 * from the first store. {@code evaluate} reports every teacher as {@code teacher-<name>}, the student as
 * {@code multi-teacher} and the student alone as {@code baseline}.
 */
final class MultiTeacherScheme implements Scheme {
    @Override
    public String name() {
        return MultiTeacherJob.NAME;
    }

    @Override
    public boolean needsTeacher(DistilleryConfig cfg) {
        return false;  // it trains its own
    }

    @Override
    public void preflight(DistilleryConfig cfg) {
        MultiTeacherJob.preflight(cfg);
    }

    @Override
    public List<Stage> stages(JobContext ctx) {
        MultiTeacherSpec spec = ctx.config().multiTeacher();
        List<Stage> stages = new ArrayList<>();
        for (String name : spec.names()) {
            JobContext teacher = MultiTeacherStore.forTeacher(ctx, name);
            stages.add(new Stage("train-teacher " + name, spec.teacherPath(name),
                    () -> TrainTeacherJob.fingerprint(teacher), () -> TrainTeacherJob.run(teacher)));
            stages.add(new Stage("soft-targets " + name, spec.storePath(name),
                    () -> SoftTargetsJob.fingerprint(teacher, ModelArtifact.hash(ctx.files(), spec.teacherPath(name))),
                    () -> SoftTargetsJob.run(teacher)));
        }
        stages.add(new Stage("distill " + MultiTeacherJob.NAME, spec.studentPath(),
                () -> MultiTeacherJob.fingerprint(ctx, MultiTeacherStore.check(ctx)), () -> MultiTeacherJob.run(ctx)));
        if (!offlineToo(ctx.config())) {
            // The student alone, on the labelled rows of the first teacher's store (the same rows in every store).
            JobContext first = MultiTeacherStore.forTeacher(ctx, spec.names().get(0));
            stages.add(new Stage("distill --baseline", first.config().baselinePath(),
                    () -> DistillJob.fingerprint(first, true,
                            DistillJob.checkStore(first, first.config().softTargets().path()).fact(Fingerprint.FACT)),
                    () -> DistillJob.run(first, true)));
        }
        return stages;
    }

    @Override
    public Map<String, String> models(DistilleryConfig cfg) {
        MultiTeacherSpec spec = cfg.multiTeacher();
        Map<String, String> paths = new LinkedHashMap<>();
        for (String name : spec.names()) {
            paths.put("teacher-" + name, spec.teacherPath(name));
        }
        paths.put(MultiTeacherJob.NAME, spec.studentPath());
        if (!offlineToo(cfg)) {
            paths.put("baseline", cfg.baselinePath());
        }
        return paths;
    }

    /** With the offline scheme in the same run, its baseline is the one to compare with. */
    private static boolean offlineToo(DistilleryConfig cfg) {
        return cfg.schemes().contains("offline");
    }
}
