package io.distillery.jobs;

import io.distillery.config.RoleSpec;
import io.distillery.model.ModelArtifact;
import io.distillery.config.TrainSpec;
import io.distillery.provenance.Provenance;
import io.distillery.store.AtomicOutput;
import io.distillery.train.AveragingEngine;
import io.distillery.train.CheckpointListener;
import io.distillery.train.Checkpoints;
import io.distillery.train.Dl4jEpochEngine;
import io.distillery.train.EarlyStopping;
import io.distillery.train.HeldOutAccuracy;
import io.distillery.train.HistoryFile;
import io.distillery.train.ModelState;
import io.distillery.train.ProgressLog;
import io.distillery.train.RoundEngine;
import io.distillery.train.RoundProgress;
import io.distillery.train.RoundListener;
import io.distillery.train.RoundLoop;
import io.distillery.train.RoundStep;
import io.distillery.train.TrainedModel;
import io.distillery.train.TrainingBlocks;
import io.distillery.train.TrainingState;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Wires a training run onto the round loop: the configured engine, checkpoints of the whole state beside the
 * output (so {@code --resume} continues every model mid-epoch and mid-exchange), held-out accuracy and progress in
 * the log, and whatever listeners the scheme adds (the co-distillation exchange).
 */
final class Training {
    private static final Logger LOG = LoggerFactory.getLogger(Training.class);
    /** The least time between two progress lines within an epoch. */
    private static final double PROGRESS_SECONDS = 30;

    private Training() {
    }

    /** Checkpoints of the run that produces {@code outputPath} live beside it, in {@code <output>.checkpoints}. */
    static Checkpoints checkpoints(JobContext ctx, String outputPath) {
        return new Checkpoints(ctx.files(), outputPath + ".checkpoints");
    }

    /**
     * A trained model ready to save.
     *
     * @param network    the exported network: the best epoch's with early stopping, else the last epoch's
     * @param provenance the run's provenance with the epochs trained and the epoch kept
     * @param history    the per-epoch history ({@code history.json}) saved beside it
     */
    record Trained(MultiLayerNetwork network, Provenance provenance, Map<String, Object> history) {
    }

    /**
     * Saves a trained model atomically at {@code path}: {@code model.zip}, {@code metadata.json} and
     * {@code history.json} appear together or not at all.
     */
    static void save(JobContext ctx, Trained trained, String path) {
        try (AtomicOutput out = AtomicOutput.begin(ctx.files(), path, ctx.overwrite())) {
            ModelArtifact.write(ctx.files(), trained.network(), out.path(), trained.provenance());
            HistoryFile.write(ctx.files(), out.path(), trained.history());
            out.commit();
        }
    }

    /**
     * Trains one model (a teacher, a student, a baseline) through {@code plan}; the per-epoch held-out accuracy is
     * that of the exported plain network.
     */
    static Trained trainOne(JobContext ctx, String run, RoleSpec role, TrainingBlocks train,
                            TrainingBlocks heldOutBlocks, StudentPlan plan, Provenance provenance) {
        HeldOutAccuracy heldOut = heldOut(ctx, heldOutBlocks);
        TrainingState fresh = new TrainingState(Map.of(run, ModelState.of(plan.trained())));
        TrainingState end = train(ctx, run, role.path(), role.train(), train, List.of(plan.model(run)),
                RoundStep.FIT, fresh, m -> heldOut.of(plan.export(m.getValue())), provenance, List.of());
        MultiLayerNetwork exported = plan.export(EarlyStopping.best(end, run));
        exported.setEpochCount(end.epoch());
        Double best = end.metrics().get(EarlyStopping.bestEpochKey(run));
        return new Trained(exported, withEpochs(ctx, provenance, end, run),
                HistoryFile.document(run, end.history(run), best == null ? null : best.intValue()));
    }

    /**
     * {@code provenance} with the epochs trained, where the per-epoch accuracy was measured and, with early
     * stopping, the epoch kept for {@code model}.
     */
    static Provenance withEpochs(JobContext ctx, Provenance provenance, TrainingState end, String model) {
        Provenance p = provenance.withFact("epochs-trained", Integer.toString(end.epoch()))
                .withFact("held-out", Splits.heldOutName(ctx));
        Double best = end.metrics().get(EarlyStopping.bestEpochKey(model));
        return best == null ? p : p.withFact("best-epoch", Integer.toString(best.intValue()));
    }

    /** Held-out accuracy on the cached test blocks, at the evaluation batch size. */
    static HeldOutAccuracy heldOut(JobContext ctx, TrainingBlocks test) {
        return new HeldOutAccuracy(ctx.sc(), test, ctx.config().data().numClasses(),
                ctx.config().evaluate().batchSize());
    }

    /**
     * Trains {@code models} from {@code fresh} (or from the last checkpoint with {@code --resume}) and returns the
     * final state.
     *
     * @param run        how the run is called in the log
     * @param outputPath the artifact the run produces; its checkpoints live beside it
     * @param heldOut    held-out accuracy of a model (name and state)
     * @param schemeListeners listeners of the scheme, run before progress logging and checkpoints
     */
    static TrainingState train(JobContext ctx, String run, String outputPath, TrainSpec spec,
                               TrainingBlocks blocks, List<TrainedModel> models, RoundStep step,
                               TrainingState fresh, ToDoubleFunction<Map.Entry<String, ModelState>> heldOut,
                               Provenance provenance, List<RoundListener> schemeListeners) {
        Checkpoints checkpoints = checkpoints(ctx, outputPath);
        TrainingState start = fresh;
        if (ctx.resume()) {
            var saved = checkpoints.latest();
            if (saved.isPresent()) {
                start = saved.get();
                LOG.info("{}: resuming after epoch {}, round {} of it ({} rounds in all) from {}", run,
                        start.epoch(), start.roundInEpoch(), start.round(), checkpoints.dir());
            }
        }
        List<RoundListener> listeners = new ArrayList<>(schemeListeners);
        listeners.add(new ProgressLog(run, spec.epochs(), heldOut));
        if (spec.patience() > 0) {
            listeners.add(new EarlyStopping(run, spec.patience()));
        }
        listeners.add(new CheckpointListener(checkpoints, provenance, spec.checkpointRounds()));
        try (RoundEngine engine = engine(ctx, spec, blocks, models, step)) {
            LOG.info("{}: {} rounds per epoch, {} epochs{}; held-out accuracy on {}", run, engine.roundsPerEpoch(),
                    spec.epochs(), spec.patience() > 0 ? " at most (early stopping, patience " + spec.patience() + ")"
                            : "", Splits.heldOutName(ctx));
            listeners.add(RoundProgress.logged(run, spec.epochs(), engine.roundsPerEpoch(), PROGRESS_SECONDS));
            return new RoundLoop(engine, listeners, spec.epochs()).run(start);
        }
    }

    private static RoundEngine engine(JobContext ctx, TrainSpec spec, TrainingBlocks blocks,
                                      List<TrainedModel> models, RoundStep step) {
        if (spec.backend().equals("dl4j")) {
            if (models.size() != 1 || step != RoundStep.FIT) {
                throw new io.distillery.config.DistilleryException("train.backend = dl4j trains one plain network; "
                        + "this scheme needs train.backend = distillery.");
            }
            return new Dl4jEpochEngine(ctx.sc(), blocks, models.get(0), ctx.config().seed(), spec.batchSize(),
                    spec.averagingFrequency());
        }
        return new AveragingEngine(ctx.sc(), blocks, models, step, ctx.config().seed(), spec.batchSize(),
                spec.averagingFrequency());
    }
}
