package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.MultiTeacherSpec;
import io.distillery.config.RoleSpec;
import io.distillery.loss.TeacherCombiner;
import io.distillery.provenance.Provenance;
import io.distillery.store.TeacherTargets;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Multi-teacher offline distillation: the student learns from K teachers' soft-target stores, read as one by
 * {@link MultiTeacherStore} (joined by id on the executors, each row's targets combined), with the student's own
 * objective ({@code distill.loss} or the Hinton loss) and schedule, into {@code multi-teacher.path/student}.
 */
public final class MultiTeacherJob {
    static final String NAME = "multi-teacher";

    private MultiTeacherJob() {
    }

    /** What must not change for the student to be up to date: every store, the combination and the student. */
    static String fingerprint(JobContext ctx, Map<String, Provenance> stores) {
        DistilleryConfig cfg = ctx.config();
        List<String> parts = new ArrayList<>(List.of(NAME, Long.toString(cfg.seed()), cfg.studentModel().toString(),
                Configs.render(cfg, "student.train"), Double.toString(cfg.distill().temperature()),
                Double.toString(cfg.distill().alpha()), Configs.render(cfg, "distill.loss"),
                Double.toString(cfg.distill().labelledFraction()), Configs.render(cfg, "data"),
                cfg.multiTeacher().combine(), cfg.multiTeacher().weights().toString(),
                Double.toString(cfg.multiTeacher().temperature())));
        stores.forEach((name, store) -> parts.add(name + "=" + store.fact(Fingerprint.FACT)));
        return Fingerprint.of(parts.toArray(new String[0]));
    }

    /** Refuses, from the config alone, what multi-teacher distillation cannot do. */
    static void preflight(DistilleryConfig cfg) {
        MultiTeacherSpec spec = cfg.multiTeacher();
        if (spec.teachers().size() < 2) {
            throw new DistilleryException("Key distillery.multi-teacher.teachers has " + spec.teachers().size()
                    + " teacher(s); multi-teacher distillation needs at least 2.");
        }
        // Each store would carry the student's view, but the join and the held-out reads assume one view.
        Inputs.refuseStudentView(cfg, "multi-teacher distillation");
        MultiTeacherTaps.byTeacher(cfg, DistillJob.terms(cfg.distill(), false));
    }

    /** Trains and saves the multi-teacher student. */
    public static void run(JobContext configured) {
        preflight(configured.config());
        MultiTeacherSpec spec = configured.config().multiTeacher();
        String output = spec.studentPath();
        StageOutput.checkWritable(configured, output);
        Map<String, Provenance> stores = MultiTeacherStore.check(configured);
        Provenance first = stores.values().iterator().next();
        // Every store has the same class names and scaling (checked): the first one's prepare the held-out rows.
        String firstPath = spec.storePath(spec.names().get(0));
        JobContext ctx = configured.prepared(DistillJob.storePreparation(configured, first, firstPath));
        DistilleryConfig cfg = ctx.config();
        RoleSpec role = new RoleSpec(output, cfg.studentModel(), cfg.student().train());
        // per-teacher-loss: the teachers' logits side by side, one loss per teacher (TeacherCombiner).
        int perTeacher = spec.combine().equals(TeacherCombiner.Kind.PER_TEACHER_LOSS.configName())
                ? spec.teachers().size() : 1;
        Map<String, List<String>> taps = MultiTeacherTaps.byTeacher(cfg, DistillJob.terms(cfg.distill(), false));
        StudentPlan plan = DistillJob.plan(ctx, false, role, first, TeacherTargets.dense(), perTeacher,
                MultiTeacherTaps.shapes(ctx, stores, taps));
        Dataset<Row> rows = MultiTeacherStore.combined(ctx, stores, taps);
        int width = Integer.parseInt(first.fact("input-width"));
        Map<String, String> facts = TrainTeacherJob.modelFacts(NAME, cfg.data().numClasses(), width,
                fingerprint(ctx, stores), ctx.preparation());
        List<String> hashes = new ArrayList<>();
        List<Provenance.InputRef> inputs = new ArrayList<>();
        stores.forEach((name, store) -> {
            hashes.add(name + "=" + store.fact(SoftTargetsJob.TEACHER_HASH));
            inputs.add(new Provenance.InputRef("store:" + name, spec.storePath(name), store.fact(Fingerprint.FACT)));
        });
        facts.put("teachers", String.join(",", stores.keySet()));
        facts.put("teacher-hashes", String.join(",", hashes));
        facts.put("labels", plan.layout().toString());
        facts.put("combine", spec.combine() + (spec.combine().equals("weighted") ? " " + spec.weights() : "")
                + " at T = " + spec.temperature());
        DistillJob.trainAndSave(ctx, NAME, false, role, plan, rows, width, inputs, facts);
    }
}
