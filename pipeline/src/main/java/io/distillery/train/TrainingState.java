package io.distillery.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a training run is at a round boundary, and all that a checkpoint holds: the models being trained (one for
 * offline distillation, K for co-distillation), each averaged over its own workers every round; the frozen
 * snapshots (stale peers, a fixed teacher), broadcast to the workers but never averaged; and the counters that fix
 * the position in the schedule; states kept on the driver only (early stopping's best epochs), the latest
 * metrics and the per-epoch history of every model. Every shuffle is derived from (seed, epoch, partition) and every
 * minibatch from the round within the epoch, so these counters are also the RNG position: a resumed run continues
 * exactly.
 *
 * <p>Mutable, and owned by the driver's round loop; the workers only ever see copies of its model states.
 */
public final class TrainingState implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, ModelState> trainable;
    private final LinkedHashMap<String, Snapshot> frozen;
    private final LinkedHashMap<String, Snapshot> kept = new LinkedHashMap<>();
    private final LinkedHashMap<String, Double> metrics = new LinkedHashMap<>();
    private final LinkedHashMap<String, ArrayList<EpochRecord>> history = new LinkedHashMap<>();
    private long round;
    private int epoch;
    private int roundInEpoch;
    private int exchanges;

    /** A state at the start of training: round 0 of epoch 0, no snapshots. */
    public TrainingState(Map<String, ModelState> trainable) {
        this(trainable, Map.of(), 0, 0, 0, 0);
    }

    TrainingState(Map<String, ModelState> trainable, Map<String, Snapshot> frozen, long round, int epoch,
                  int roundInEpoch, int exchanges) {
        if (trainable.isEmpty()) {
            throw new IllegalArgumentException("a training state needs at least one trainable model");
        }
        this.trainable = new LinkedHashMap<>(trainable);
        this.frozen = new LinkedHashMap<>(frozen);
        this.round = round;
        this.epoch = epoch;
        this.roundInEpoch = roundInEpoch;
        this.exchanges = exchanges;
    }

    /** The models being trained, by name, in declaration order (unmodifiable). */
    public Map<String, ModelState> trainable() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The frozen snapshots, by name (unmodifiable). */
    public Map<String, Snapshot> frozen() {
        return Collections.unmodifiableMap(frozen);
    }

    /** The state of trainable model {@code name}. */
    public ModelState model(String name) {
        ModelState s = trainable.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no trainable model '" + name + "' in " + trainable.keySet());
        }
        return s;
    }

    /** Rounds completed since the start of training. */
    public long round() {
        return round;
    }

    /** Epochs completed. */
    public int epoch() {
        return epoch;
    }

    /** Rounds completed in the current epoch. */
    public int roundInEpoch() {
        return roundInEpoch;
    }

    /** Snapshot exchanges done so far (co-distillation). */
    public int exchanges() {
        return exchanges;
    }

    /**
     * States kept on the driver, never broadcast (early stopping's best epoch of each model), by name
     * (unmodifiable).
     */
    public Map<String, Snapshot> kept() {
        return Collections.unmodifiableMap(kept);
    }

    /** Sets or replaces kept state {@code name}. */
    public void keep(String name, Snapshot snapshot) {
        kept.put(name, snapshot);
    }

    /** The latest per-model metrics listeners recorded (for example held-out accuracy), by key. */
    public Map<String, Double> metrics() {
        return Collections.unmodifiableMap(metrics);
    }

    /** Records a metric under {@code key}, replacing the previous value. */
    public void putMetric(String key, double value) {
        metrics.put(key, value);
    }

    /**
     * Every epoch trained so far, per model, oldest first, including those trained before a resume (the history
     * is checkpointed with the state); unmodifiable.
     */
    public Map<String, List<EpochRecord>> history() {
        Map<String, List<EpochRecord>> out = new LinkedHashMap<>();
        history.forEach((name, epochs) -> out.put(name, Collections.unmodifiableList(epochs)));
        return Collections.unmodifiableMap(out);
    }

    /** The epochs of {@code model} trained so far, oldest first (empty when none was recorded). */
    public List<EpochRecord> history(String model) {
        List<EpochRecord> epochs = history.get(model);
        return epochs == null ? List.of() : Collections.unmodifiableList(epochs);
    }

    /** Appends one epoch to {@code model}'s history. */
    public void record(String model, EpochRecord epoch) {
        history.computeIfAbsent(model, k -> new ArrayList<>()).add(epoch);
    }

    /** Replaces the state of trainable model {@code name} (after a round's average). */
    void update(String name, ModelState state) {
        model(name);
        trainable.put(name, state);
    }

    /** Sets or replaces frozen snapshot {@code name}. */
    public void freeze(String name, Snapshot snapshot) {
        frozen.put(name, snapshot);
    }

    /** Counts one exchange of snapshots. */
    public void countExchange() {
        exchanges++;
    }

    void finishRound() {
        round++;
        roundInEpoch++;
    }

    void finishEpoch() {
        epoch++;
        roundInEpoch = 0;
    }

    /**
     * A model's parameters as they were at a round, read by the other models until it is replaced. A class, not a
     * record: snapshots are broadcast, and Spark's Kryo cannot serialize records.
     */
    public static final class Snapshot implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String source;
        private final long round;
        private final ModelState state;

        /**
         * @param source the trainable model it was taken from (or a fixed teacher's name)
         * @param round  the round count at which it was taken
         */
        public Snapshot(String source, long round, ModelState state) {
            this.source = source;
            this.round = round;
            this.state = state;
        }

        public String source() {
            return source;
        }

        public long round() {
            return round;
        }

        public ModelState state() {
            return state;
        }
    }
}
