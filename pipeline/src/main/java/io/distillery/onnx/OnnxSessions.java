package io.distillery.onnx;

import java.util.HashMap;
import java.util.Map;

/**
 * The ONNX models opened on this executor JVM, one per model hash: ONNX Runtime sessions are safe for concurrent
 * runs, so every task of the executor shares one (unlike DL4J networks, which keep per-call state and are cached per
 * thread). A session lives as long as the executor; a JVM runs few teachers, so none is evicted.
 */
public final class OnnxSessions {
    private static final Map<String, OnnxModel> SESSIONS = new HashMap<>();

    private OnnxSessions() {
    }

    /**
     * The model with hash {@code hash}, opened from {@code bytes} on first use.
     *
     * @param intraOpThreads ONNX Runtime's threads per run, fixed by the first caller
     */
    public static OnnxModel get(String hash, byte[] bytes, String source, int intraOpThreads) {
        synchronized (SESSIONS) {
            return SESSIONS.computeIfAbsent(hash, h -> OnnxModel.open(bytes, source, intraOpThreads));
        }
    }
}
