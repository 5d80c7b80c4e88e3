package io.distillery.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * After each epoch, measures every trainable model's held-out accuracy, records it in the state's metrics
 * ({@code <model>.held-out-accuracy}), appends the epoch to the model's history ({@link EpochRecord}, kept in the
 * state so checkpoints carry it) and logs one line per model with the epoch's mean minibatch loss and the
 * epoch's wall time.
 */
public final class ProgressLog implements RoundListener {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressLog.class);

    private final String run;
    private final int epochs;
    private final ToDoubleFunction<Map.Entry<String, ModelState>> heldOut;
    private long epochStart = System.nanoTime();

    /**
     * @param run     how the run is called in the log ({@code teacher}, {@code student}, {@code codistill}, ...)
     * @param epochs  the planned number of epochs, for "epoch 3/20"
     * @param heldOut held-out accuracy of a model (its name and state); NaN to skip
     */
    public ProgressLog(String run, int epochs, ToDoubleFunction<Map.Entry<String, ModelState>> heldOut) {
        this.run = run;
        this.epochs = epochs;
        this.heldOut = heldOut;
    }

    /** The metric key under which a model's held-out accuracy is recorded. */
    public static String accuracyKey(String model) {
        return model + ".held-out-accuracy";
    }

    @Override
    public void onEpoch(TrainingState state, Map<String, Double> meanLoss) {
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        for (Map.Entry<String, ModelState> m : state.trainable().entrySet()) {
            double accuracy = heldOut.applyAsDouble(m);
            state.putMetric(accuracyKey(m.getKey()), accuracy);
            double loss = meanLoss.getOrDefault(m.getKey(), Double.NaN);
            state.record(m.getKey(), new EpochRecord(state.epoch(), loss, accuracy, seconds));
            String who = state.trainable().size() == 1 ? run : run + "/" + m.getKey();
            LOG.info(String.format("%s: epoch %d/%d loss %.4f held-out accuracy %.4f (%.1f s)", who, state.epoch(),
                    epochs, loss, accuracy, seconds));
        }
        epochStart = System.nanoTime();
    }
}
