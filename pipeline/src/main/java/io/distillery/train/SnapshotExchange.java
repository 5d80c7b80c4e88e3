package io.distillery.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The co-distillation exchange: once the burn-in is over, and then every {@code period} rounds, each trainable
 * model's current parameters become the frozen snapshot {@code peer:<model>} that the other models read until the
 * next exchange (Anil et al. 2018's stale predictions; {@code period = 1} and no burn-in is deep mutual learning's
 * every-round exchange). With no burn-in the first snapshots are the initial models, taken before the first round.
 *
 * <p>It also keeps the schedule as it really happened: after every round, what each model learnt from (snapshot,
 * its round, the weight), as the workers reported it, one line per model and round.
 */
public final class SnapshotExchange implements RoundListener {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotExchange.class);
    /** Prefix of the frozen snapshots' names. */
    public static final String PEER = "peer:";

    private final int period;
    private final long burnIn;
    private final List<String> schedule = new ArrayList<>();

    /**
     * @param period rounds between exchanges, at least 1
     * @param burnIn rounds trained independently before the first exchange
     */
    public SnapshotExchange(int period, long burnIn) {
        if (period < 1 || burnIn < 0) {
            throw new IllegalArgumentException("exchange period " + period + ", burn-in " + burnIn);
        }
        this.period = period;
        this.burnIn = burnIn;
    }

    /** The snapshot name of model {@code model}. */
    public static String snapshotOf(String model) {
        return PEER + model;
    }

    /** The snapshots every model reads: those of all the other models. */
    public static Map<String, List<String>> allOthers(List<String> models) {
        Map<String, List<String>> peers = new java.util.LinkedHashMap<>();
        for (String m : models) {
            peers.put(m, models.stream().filter(o -> !o.equals(m)).map(SnapshotExchange::snapshotOf).toList());
        }
        return peers;
    }

    /** Whether the snapshots are exchanged when the round count is {@code round}. */
    public boolean exchangesAt(long round) {
        return round >= burnIn && (round - burnIn) % period == 0;
    }

    /** The first exchange, before any training, when there is no burn-in (and not again on a resume). */
    @Override
    public void onStart(TrainingState state) {
        if (state.round() == 0 && state.frozen().isEmpty() && exchangesAt(0)) {
            exchange(state);
        }
    }

    @Override
    public void onRound(TrainingState state, Map<String, RoundEngine.RoundOutcome> outcome) {
        outcome.forEach((model, o) -> schedule.add((state.round() - 1) + "\t" + model + "\t"
                + (o.reads().isEmpty() ? "-" : String.join(",", o.reads()))));
        if (exchangesAt(state.round())) {
            exchange(state);
        }
    }

    private void exchange(TrainingState state) {
        long bytes = 0;
        for (Map.Entry<String, ModelState> m : state.trainable().entrySet()) {
            ModelState frozen = m.getValue().withoutUpdater();
            state.freeze(snapshotOf(m.getKey()), new TrainingState.Snapshot(m.getKey(), state.round(), frozen));
            bytes += frozen.bytes();
        }
        state.countExchange();
        LOG.info("exchange {} at round {}: {} snapshots, {} bytes to broadcast", state.exchanges(), state.round(),
                state.trainable().size(), bytes);
    }

    /**
     * The schedule so far, one tab-separated line per round and model: the round (0-based), the model, and what it
     * learnt from ({@code peer:b@40 w=1.0}, comma-separated; {@code -} for nothing).
     */
    public List<String> schedule() {
        return Collections.unmodifiableList(schedule);
    }
}
