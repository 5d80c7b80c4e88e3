package io.distillery.train;

import java.util.Map;

/**
 * Something that happens between rounds of the {@link RoundLoop}: logging, held-out evaluation, checkpoints, the
 * co-distillation exchange, early stopping. Listeners run on the driver, in the order they were given, and may
 * change the state (an exchange freezes snapshots; evaluation records metrics).
 */
public interface RoundListener {

    /** Once, before the first round the loop runs (of a fresh or a resumed state). */
    default void onStart(TrainingState state) {
    }

    /**
     * After every round, once the averaged states are in {@code state}; after the last round of an epoch the
     * state's epoch has already advanced (its round within the epoch is 0 again).
     */
    default void onRound(TrainingState state, Map<String, RoundEngine.RoundOutcome> outcome) {
    }

    /**
     * After the last round of an epoch (after {@link #onRound}), with the epoch's mean minibatch loss per model.
     */
    default void onEpoch(TrainingState state, Map<String, Double> meanLoss) {
    }

    /** Asked after {@link #onEpoch}: whether training should end now (early stopping). */
    default boolean stopRequested(TrainingState state) {
        return false;
    }
}
