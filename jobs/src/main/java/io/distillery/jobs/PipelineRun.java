package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code run}: every stage of the configured {@link Scheme}s from one config, in order (the teacher and its store
 * when a scheme needs them; offline: distill, baseline; codistill: codistill; then evaluate over every model),
 * skipping a stage whose output is already committed with the fingerprint this config would give it. An output
 * that exists with another fingerprint is refused unless {@code --overwrite}, naming the stage.
 */
public final class PipelineRun {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineRun.class);

    private PipelineRun() {
    }

    /** Runs the pipeline and returns the evaluation document. */
    public static Map<String, Object> run(JobContext ctx) {
        DistilleryConfig cfg = ctx.config();
        List<Scheme> schemes = Scheme.configured(cfg);
        for (Scheme scheme : schemes) {
            scheme.preflight(cfg); // a bad distill.loss fails now, not after the teacher has trained
        }
        EvaluationGate.checkModels(cfg.evaluate().gate(), EvaluateJob.modelPaths(cfg).keySet());
        if (schemes.stream().anyMatch(s -> s.needsTeacher(cfg))) {
            if (!TeacherArtifact.isOnnx(cfg.teacher().path())) {
                // An ONNX teacher is given, not trained.
                stage(ctx, "train-teacher", cfg.teacher().path(), () -> TrainTeacherJob.fingerprint(ctx),
                        () -> TrainTeacherJob.run(ctx));
            }
            stage(ctx, "soft-targets", cfg.softTargets().path(),
                    () -> SoftTargetsJob.fingerprint(ctx, TeacherArtifact.hash(ctx.files(), cfg.teacher().path())),
                    () -> SoftTargetsJob.run(ctx));
        }
        for (Scheme scheme : schemes) {
            for (Scheme.Stage s : scheme.stages(ctx)) {
                stage(ctx, s.name(), s.output(), s.fingerprint(), s.body());
            }
        }
        String evaluation = cfg.evaluate().path();
        Map<String, String> models = EvaluateJob.modelPaths(cfg);
        stage(ctx, "evaluate", evaluation, () -> EvaluateJob.fingerprint(ctx, models),
                () -> EvaluateJob.run(ctx, models, "teacher"));
        return Reports.readMetrics(ctx, evaluation);
    }

    /**
     * Runs one stage unless its output is committed with {@code fingerprint}; refuses an output made otherwise
     * unless {@code --overwrite}.
     */
    static void stage(JobContext ctx, String name, String output, Supplier<String> fingerprint, Runnable body) {
        if (ctx.files().exists(output)) {
            String expected = fingerprint.get();
            if (StageOutput.upToDate(ctx.files(), output, expected)) {
                LOG.info("run: {} is up to date at {}, skipped", name, output);
                return;
            }
            if (!ctx.overwrite()) {
                Provenance found = ctx.files().isCommitted(output) ? ctx.files().readProvenance(output) : null;
                throw new DistilleryException(String.format(Locale.ROOT,
                        "Stage %s: output %s exists but was made from other inputs or settings (fingerprint %s, "
                                + "expected %s); pass --overwrite to redo it.", name, output,
                        found == null ? "none, not committed" : found.fact(Fingerprint.FACT), expected));
            }
        }
        LOG.info("run: {} ...", name);
        long t0 = System.nanoTime();
        try {
            body.run();
        } catch (Exception | OutOfMemoryError e) {  // a SparkException is checked but thrown undeclared
            StageOutOfMemory memory = StageOutOfMemory.of(name, ctx.config(), e);  // name the stage that ran out
            if (memory != null) {
                throw memory;
            }
            throw e;
        }
        LOG.info(String.format(Locale.ROOT, "run: %s done in %.1f s", name, (System.nanoTime() - t0) / 1e9));
    }
}
