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
        int rounds = engine.roundsPerEpoch();
        Map<String, double[]> epochLoss = new LinkedHashMap<>();
        for (RoundListener l : listeners) {
            l.onStart(state);
        }
        while (state.epoch() < maxEpochs) {
            Map<String, RoundEngine.RoundOutcome> outcome = engine.run(state);
            outcome.forEach((name, o) -> {
                state.update(name, o.state());
                double[] sum = epochLoss.computeIfAbsent(name, k -> new double[2]);
                sum[0] += o.lossSum();
                sum[1] += o.batches();
            });
            state.finishRound();
            boolean epochDone = state.roundInEpoch() >= rounds;
            if (epochDone) {
                state.finishEpoch();
            }
            for (RoundListener l : listeners) {
                l.onRound(state, outcome);
            }
            if (epochDone) {
                Map<String, Double> mean = new LinkedHashMap<>();
                // A resumed epoch counts only its own rounds' losses: the others were logged before the restart.
                epochLoss.forEach((name, s) -> mean.put(name, s[1] == 0 ? Double.NaN : s[0] / s[1]));
                epochLoss.clear();
                for (RoundListener l : listeners) {
                    l.onEpoch(state, mean);
                }
                if (listeners.stream().anyMatch(l -> l.stopRequested(state))) {
                    break;
                }
            }
        }
        return state;
    }
}
