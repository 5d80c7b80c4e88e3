package io.distillery.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one training loop every run shares (teacher, student, baseline, co-distillation, mutual learning): round by
 * round, the {@link RoundEngine} fits and averages every trainable model, the state advances, and the listeners do
 * the rest. Resuming is starting from a checkpointed state: the loop continues from its epoch and round.
 */
public final class RoundLoop {
    private final RoundEngine engine;
    private final List<RoundListener> listeners;
    private final int maxEpochs;
    private final Map<String, double[]> epochLoss = new LinkedHashMap<>();
    private boolean started;

    /**
     * @param maxEpochs the loop ends after this many epochs (or earlier when a listener asks)
     */
    public RoundLoop(RoundEngine engine, List<RoundListener> listeners, int maxEpochs) {
        this.engine = engine;
        this.listeners = List.copyOf(listeners);
        this.maxEpochs = maxEpochs;
    }

    /** Trains from {@code state} (fresh or restored) and returns it, advanced, when the loop ends. */
    public TrainingState run(TrainingState state) {
        start(state);
        while (state.epoch() < maxEpochs) {
            if (round(state)) {
                break;
            }
        }
        return state;
    }

    /**
     * Runs exactly {@code rounds} more rounds (across epoch boundaries, ignoring the epoch limit and stop requests),
     * for benchmarks that measure by the round; listeners are called as in {@link #run}, except {@code onStart},
     * which the caller's first {@link #run} or this loop's first call made.
     */
    public TrainingState runRounds(TrainingState state, int rounds) {
        if (!started) {
            start(state);
        }
        for (int r = 0; r < rounds; r++) {
            round(state);
        }
        return state;
    }

    private void start(TrainingState state) {
        started = true;
        for (RoundListener l : listeners) {
            l.onStart(state);
        }
    }

    /** One round and what follows it; returns whether a listener asked to stop at the end of an epoch. */
    private boolean round(TrainingState state) {
        Map<String, RoundEngine.RoundOutcome> outcome = engine.run(state);
        outcome.forEach((name, o) -> {
            state.update(name, o.state());
            double[] sum = epochLoss.computeIfAbsent(name, k -> new double[2]);
            sum[0] += o.lossSum();
            sum[1] += o.batches();
        });
        state.finishRound();
        boolean epochDone = state.roundInEpoch() >= engine.roundsPerEpoch();
        if (epochDone) {
            state.finishEpoch();
        }
        for (RoundListener l : listeners) {
            l.onRound(state, outcome);
        }
        if (!epochDone) {
            return false;
        }
        Map<String, Double> mean = new LinkedHashMap<>();
        // A resumed epoch counts only its own rounds' losses: the others were logged before the restart.
        epochLoss.forEach((name, s) -> mean.put(name, s[1] == 0 ? Double.NaN : s[0] / s[1]));
        epochLoss.clear();
        for (RoundListener l : listeners) {
            l.onEpoch(state, mean);
        }
        return listeners.stream().anyMatch(l -> l.stopRequested(state));
    }
}
