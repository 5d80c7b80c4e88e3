package io.distillery.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Logs how far the current epoch has got, at most once per interval: an epoch over a large store takes minutes,
 * and {@link ProgressLog} speaks only at its end. One line per interval, for example
 * {@code student: epoch 3/20, round 400/1594 (25%), 2,000 minibatches, 41.0 s into the epoch, loss 0.4312}, where
 * the loss is the mean minibatch loss of the epoch so far (of the first model, when several train together).
 */
public final class RoundProgress implements RoundListener {
    private static final Logger LOG = LoggerFactory.getLogger(RoundProgress.class);

    private final String run;
    private final int epochs;
    private final int roundsPerEpoch;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final Lines lines;
    private long epochStart;
    private long lastLine;
    private double lossSum;
    private long batches;

    /** Where the lines go: the log in production, a list in tests. */
    @FunctionalInterface
    public interface Lines {
        void line(String text);
    }

    /**
     * @param run            how the run is called in the log
     * @param epochs         the planned number of epochs
     * @param roundsPerEpoch the engine's rounds in one epoch
     * @param intervalNanos  the least time between two lines; 0 logs every round
     * @param clock          nanoseconds, {@link System#nanoTime} outside tests
     * @param lines          where each line goes
     */
    public RoundProgress(String run, int epochs, int roundsPerEpoch, long intervalNanos, LongSupplier clock,
                         Lines lines) {
        this.run = run;
        this.epochs = epochs;
        this.roundsPerEpoch = roundsPerEpoch;
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.lines = lines;
    }

    /** Logs through SLF4J every {@code seconds} seconds of wall time. */
    public static RoundProgress logged(String run, int epochs, int roundsPerEpoch, double seconds) {
        return new RoundProgress(run, epochs, roundsPerEpoch, Math.round(seconds * 1e9), System::nanoTime,
                LOG::info);
    }

    @Override
    public void onStart(TrainingState state) {
        epochStart = clock.getAsLong();
        lastLine = epochStart;
    }

    /** Registered after the held-out evaluation, so that the next epoch's clock starts when its rounds do. */
    @Override
    public void onEpoch(TrainingState state, Map<String, Double> meanLoss) {
        onStart(state);
        lossSum = 0;
        batches = 0;
    }

    @Override
    public void onRound(TrainingState state, Map<String, RoundEngine.RoundOutcome> outcome) {
        RoundEngine.RoundOutcome first = outcome.values().iterator().next();
        lossSum += first.lossSum();
        batches += first.batches();
        long now = clock.getAsLong();
        // After an epoch's last round the state has moved on to the next epoch: ProgressLog reports that one.
        if (state.roundInEpoch() == 0 || now - lastLine < intervalNanos) {
            return;
        }
        lastLine = now;
        int round = state.roundInEpoch();
        lines.line(String.format(Locale.ROOT, "%s: epoch %d/%d, round %d/%d (%d%%), %,d minibatches, %.1f s into "
                        + "the epoch, loss %.4f", run, state.epoch() + 1, epochs, round, roundsPerEpoch,
                100L * round / roundsPerEpoch, batches, (now - epochStart) / 1e9, lossSum / Math.max(1, batches)));
    }
}
