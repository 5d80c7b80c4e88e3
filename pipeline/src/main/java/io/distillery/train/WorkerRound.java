package io.distillery.train;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A worker's view of the round it is running, for a {@link RoundStep}: the round counters and the frozen snapshots
 * as ready networks (built once per executor and snapshot, see {@link WorkerModels}).
 */
public final class WorkerRound {
    private final String trainingId;
    private final int worker;
    private final long round;
    private final Map<String, TrainingState.Snapshot> frozen;
    private final Map<String, Network.Blueprint> blueprints;
    private final Map<String, INDArray> batchMemo = new HashMap<>();
    private final Map<String, Set<String>> reads = new HashMap<>();
    private int batch = -1;

    WorkerRound(String trainingId, int worker, long round, Map<String, TrainingState.Snapshot> frozen,
                Map<String, Network.Blueprint> blueprints) {
        this.trainingId = trainingId;
        this.worker = worker;
        this.round = round;
        this.frozen = frozen;
        this.blueprints = blueprints;
    }

    /** Rounds completed before this one, since the start of training. */
    public long round() {
        return round;
    }

    /** The worker (the data partition, whatever its blocks) running the round. */
    public int worker() {
        return worker;
    }

    /** Called by the round task before each minibatch: what {@link #memo} keeps is valid for one minibatch. */
    void startBatch(int index) {
        if (index != batch) {
            batch = index;
            batchMemo.clear();
        }
    }

    /**
     * A value computed once per minibatch and key, shared by the models this worker trains on it (for example a
     * snapshot's predictions, which every other model reads).
     */
    public INDArray memo(String key, Function<String, INDArray> compute) {
        return batchMemo.computeIfAbsent(key, compute);
    }

    /**
     * Records that model {@code model} learnt from {@code what} in this round (for example {@code b@40 w=1.0}):
     * the driver receives the union over workers with the round's results.
     */
    public void noteRead(String model, String what) {
        reads.computeIfAbsent(model, k -> new TreeSet<>()).add(what);
    }

    Set<String> reads(String model) {
        return reads.getOrDefault(model, Set.of());
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
        return WorkerModels.frozen(trainingId, worker, name, s, blueprints.get(s.source()));
    }
}
