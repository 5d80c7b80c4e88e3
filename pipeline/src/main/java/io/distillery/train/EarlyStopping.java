package io.distillery.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Early stopping on the validation metric: after each epoch, a model whose held-out accuracy
 * ({@link ProgressLog#accuracyKey}) beats its best so far has its state kept in the training state
 * ({@link #keptName}: checkpointed with it, so a resumed run keeps the best epoch too); training stops once no
 * model has improved for {@code patience} epochs. The run then exports each model's kept state, and its epoch
 * ({@link #bestEpochKey}) goes into provenance. Must follow the {@link ProgressLog} that measures the metric.
 */
public final class EarlyStopping implements RoundListener {
    private static final Logger LOG = LoggerFactory.getLogger(EarlyStopping.class);
    private static final String KEPT = "best:";

    private final String run;
    private final int patience;

    /** @param patience epochs without improvement before stopping, at least 1 */
    public EarlyStopping(String run, int patience) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience " + patience);
        }
        this.run = run;
        this.patience = patience;
    }

    /** Name of the kept best state of {@code model} among the state's kept states. */
    public static String keptName(String model) {
        return KEPT + model;
    }

    /** Metric key of the epoch (1-based) whose state was kept for {@code model}. */
    public static String bestEpochKey(String model) {
        return model + ".best-epoch";
    }

    /** Metric key of the best held-out accuracy of {@code model}. */
    public static String bestAccuracyKey(String model) {
        return model + ".best-held-out-accuracy";
    }

    /** The state to export for {@code model}: its kept best state, or its last one when none was kept. */
    public static ModelState best(TrainingState state, String model) {
        TrainingState.Snapshot kept = state.kept().get(keptName(model));
        return kept == null ? state.model(model) : kept.state();
    }

    @Override
    public void onEpoch(TrainingState state, Map<String, Double> meanLoss) {
        for (Map.Entry<String, ModelState> m : state.trainable().entrySet()) {
            String name = m.getKey();
            Double accuracy = state.metrics().get(ProgressLog.accuracyKey(name));
            if (accuracy == null || accuracy.isNaN()) {
                continue;
            }
            Double best = state.metrics().get(bestAccuracyKey(name));
            if (best == null || accuracy > best) {
                state.putMetric(bestAccuracyKey(name), accuracy);
                state.putMetric(bestEpochKey(name), state.epoch());
                state.keep(keptName(name), new TrainingState.Snapshot(name, state.round(), m.getValue()));
            }
        }
    }

    @Override
    public boolean stopRequested(TrainingState state) {
        for (String name : state.trainable().keySet()) {
            Double bestEpoch = state.metrics().get(bestEpochKey(name));
            if (bestEpoch == null || state.epoch() - bestEpoch < patience) {
                return false;
            }
        }
        LOG.info("{}: stopping after epoch {}: no model improved its held-out accuracy for {} epochs (best epoch {})",
                run, state.epoch(), patience, state.trainable().keySet().stream()
                        .map(n -> n + " " + state.metrics().get(bestEpochKey(n)).intValue()).toList());
        return true;
    }
}
