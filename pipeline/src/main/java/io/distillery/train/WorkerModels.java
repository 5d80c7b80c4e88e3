package io.distillery.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Executor-side cache of worker networks, one per (training run, worker, model), so that a round does not
 * rebuild and re-initialise a network from its JSON configuration: it only overwrites the parameters. Frozen
 * snapshots are cached the same way and keep the round they were taken at, so their parameters are copied in once
 * per exchange, not once per round. A miss (a new executor, a retried task) rebuilds the network, so the cache is an
 * optimisation, never a source of truth. Per worker, because a DL4J network is not safe for two tasks at once (a worker runs one task per round).
 */
final class WorkerModels {
    private static final int MAX_ENTRIES = 128;
    private static final Map<String, Entry> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private WorkerModels() {
    }

    /** The worker's network of trainable model {@code model}; its parameters are whatever the last round left. */
    static Network trainable(String trainingId, int worker, String model, Network.Blueprint blueprint) {
        return entry(trainingId + "/" + worker + "/trainable/" + model, blueprint).net;
    }

    /** Snapshot {@code name} as a network holding the snapshot's parameters. */
    static Network frozen(String trainingId, int worker, String name, TrainingState.Snapshot snapshot,
                          Network.Blueprint blueprint) {
        Entry e = entry(trainingId + "/" + worker + "/frozen/" + name, blueprint);
        if (e.snapshotRound != snapshot.round() || !snapshot.source().equals(e.snapshotSource)) {
            snapshot.state().applyTo(e.net);
            e.snapshotRound = snapshot.round();
            e.snapshotSource = snapshot.source();
        }
        return e.net;
    }

    private static Entry entry(String key, Network.Blueprint blueprint) {
        synchronized (CACHE) {
            Entry e = CACHE.get(key);
            if (e != null) {
                return e;
            }
        }
        Entry e = new Entry(blueprint.build());
        synchronized (CACHE) {
            CACHE.put(key, e);
        }
        return e;
    }

    /** Drops the networks of a finished training run (in local mode the driver is the executor). */
    static void release(String trainingId) {
        synchronized (CACHE) {
            CACHE.keySet().removeIf(k -> k.startsWith(trainingId + "/"));
        }
    }

    private static final class Entry {
        final Network net;
        long snapshotRound = -1;
        String snapshotSource;

        Entry(Network net) {
            this.net = net;
        }
    }
}
