package io.distillery.train;

import java.util.Map;

/**
 * A worker's view of the round it is running, for a {@link RoundStep}: the round counters and the frozen snapshots
 * as ready networks (built once per executor and snapshot, see {@link WorkerModels}).
 */
public final class WorkerRound {
    private final String trainingId;
    private final int partition;
    private final long round;
    private final Map<String, TrainingState.Snapshot> frozen;
    private final Map<String, Network.Blueprint> blueprints;

    WorkerRound(String trainingId, int partition, long round, Map<String, TrainingState.Snapshot> frozen,
                Map<String, Network.Blueprint> blueprints) {
        this.trainingId = trainingId;
        this.partition = partition;
        this.round = round;
        this.frozen = frozen;
        this.blueprints = blueprints;
    }

    /** Rounds completed before this one, since the start of training. */
    public long round() {
        return round;
    }

    public int partition() {
        return partition;
    }

    /** The frozen snapshots of the run, by name. */
    public Map<String, TrainingState.Snapshot> frozen() {
        return frozen;
    }

    /**
     * Frozen snapshot {@code name} as a network for inference. Its architecture is that of the trainable model the
     * snapshot was taken from.
     */
    public Network frozenNetwork(String name) {
        TrainingState.Snapshot s = frozen.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no frozen snapshot '" + name + "' in " + frozen.keySet());
        }
        return WorkerModels.frozen(trainingId, partition, name, s, blueprints.get(s.source()));
    }
}
