package io.distillery.train;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Executor-side cache of worker networks, one per (training run, partition), so that a round does not rebuild and
 * re-initialise a network from its JSON configuration: it only overwrites the parameters. A miss (a new executor,
 * a retried task) rebuilds the network, so the cache is an optimisation, never a source of truth.
 */
final class WorkerModels {
    private static final int MAX_ENTRIES = 64;
    private static final Map<String, MultiLayerNetwork> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, MultiLayerNetwork> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private WorkerModels() {
    }

    static MultiLayerNetwork get(String trainingId, int partition, String configurationJson) {
        String key = trainingId + "/" + partition;
        synchronized (CACHE) {
            MultiLayerNetwork net = CACHE.get(key);
            if (net != null) {
                return net;
            }
        }
        MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configurationJson));
        net.init();
        synchronized (CACHE) {
            CACHE.put(key, net);
        }
        return net;
    }

    /** Drops the networks of a finished training run (in local mode the driver is the executor). */
    static void release(String trainingId) {
        synchronized (CACHE) {
            CACHE.keySet().removeIf(k -> k.startsWith(trainingId + "/"));
        }
    }
}
