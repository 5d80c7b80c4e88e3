package io.distillery.model;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Networks deserialized on an executor from broadcast model bytes, kept per (model hash, thread): a task reuses
 * its thread's copy instead of unzipping the model again, and two concurrent tasks never share one network
 * (DL4J layers keep per-call state, so a network is not safe for concurrent inference).
 */
public final class ExecutorModelCache {
    private static final int MAX_ENTRIES = 32;
    private static final Map<String, Object> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    private ExecutorModelCache() {
    }

    /**
     * The value derived from the model with hash {@code hash} for this thread, built with {@code derive} on a miss.
     */
    @SuppressWarnings("unchecked")
    public static <T> T get(String hash, byte[] modelZip, String purpose, Function<MultiLayerNetwork, T> derive) {
        String key = hash + "/" + purpose + "/" + Thread.currentThread().getId();
        synchronized (CACHE) {
            Object cached = CACHE.get(key);
            if (cached != null) {
                return (T) cached;
            }
        }
        T value = derive.apply(restore(modelZip));
        synchronized (CACHE) {
            CACHE.put(key, value);
        }
        return value;
    }

    /** Deserializes a model zip held in memory. */
    public static MultiLayerNetwork restore(byte[] modelZip) {
        try {
            return ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(modelZip), false);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot deserialize a broadcast model", e);
        }
    }
}
