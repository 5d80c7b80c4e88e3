package io.distillery.train;

import java.util.Map;

/**
 * How one round of data-parallel training is carried out on the cluster: the driver-side half of the round loop.
 * {@link RoundLoop} owns the schedule, the state and the listeners; an engine only turns the state at the start of
 * a round into the averaged trainable states after it. Keeping DL4J's frozen Spark module behind this interface
 * ({@link Dl4jEpochEngine}) lets it be swapped without touching the schemes.
 */
public interface RoundEngine extends AutoCloseable {

    /** Rounds in one epoch (a pass of every partition over its rows). */
    int roundsPerEpoch();

    /** Runs the round that starts from {@code state}; {@code state} is not modified. */
    Map<String, RoundOutcome> run(TrainingState state);

    /** Releases cached data and executor-side state. */
    @Override
    void close();

    /**
     * One trainable model after a round.
     *
     * @param state   its averaged state
     * @param lossSum the summed minibatch losses of its workers
     * @param batches how many minibatches were fitted
     * @param reads   what the workers' steps learnt from besides the packed labels (snapshots and weights)
     */
    record RoundOutcome(ModelState state, double lossSum, long batches, java.util.Set<String> reads) {
    }
}
