package io.distillery.train;

import io.distillery.provenance.Provenance;

import java.util.Map;

/**
 * Saves the whole {@link TrainingState} after every epoch, and also every {@code everyRounds} rounds when that is
 * positive (long epochs, or schedules whose exchange period does not divide an epoch), with the latest metrics as
 * provenance facts.
 */
public final class CheckpointListener implements RoundListener {
    private final Checkpoints checkpoints;
    private final Provenance provenance;
    private final int everyRounds;

    /** @param everyRounds also checkpoint when the round count is a multiple of this; 0 for epochs only */
    public CheckpointListener(Checkpoints checkpoints, Provenance provenance, int everyRounds) {
        this.checkpoints = checkpoints;
        this.provenance = provenance;
        this.everyRounds = everyRounds;
    }

    @Override
    public void onRound(TrainingState state, Map<String, RoundEngine.RoundOutcome> outcome) {
        if (everyRounds > 0 && state.round() % everyRounds == 0 && state.roundInEpoch() > 0) {
            save(state);
        }
    }

    @Override
    public void onEpoch(TrainingState state, Map<String, Double> meanLoss) {
        save(state);
    }

    private void save(TrainingState state) {
        Provenance p = provenance;
        for (Map.Entry<String, Double> m : state.metrics().entrySet()) {
            p = p.withFact(m.getKey(), Double.toString(m.getValue()));
        }
        checkpoints.save(state, p);
    }
}
