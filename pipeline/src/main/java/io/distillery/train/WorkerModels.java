package io.distillery.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
    private static final Map<String, Model> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Model> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private WorkerModels() {
    }

    /**
     * @param graph whether {@code configurationJson} is a {@link ComputationGraphConfiguration} (else a
     *              {@link MultiLayerConfiguration})
     */
    static Model get(String trainingId, int partition, String configurationJson, boolean graph) {
        String key = trainingId + "/" + partition;
        synchronized (CACHE) {
            Model net = CACHE.get(key);
            if (net != null) {
                return net;
            }
        }
        Model net;
        if (graph) {
            ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(configurationJson));
            g.init();
            net = g;
        } else {
            MultiLayerNetwork m = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configurationJson));
            m.init();
            net = m;
        }
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
