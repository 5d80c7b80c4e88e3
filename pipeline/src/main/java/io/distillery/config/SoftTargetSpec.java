package io.distillery.config;

import com.typesafe.config.Config;

import java.util.List;

/**
 * The soft-target stage: where the store goes, the inference batch size, which teacher layers to tap, and how
 * compactly the teacher's outputs are kept.
 *
 * @param path             output directory of the store
 * @param batchSize        rows per forward pass on each executor
 * @param taps             teacher layer names whose activations are stored, one column each ({@code tap_<name>})
 * @param incremental      when the store exists, compute only the input partitions it lacks and add them to it
 *                         (scheduled runs over date-partitioned data) instead of refusing or recomputing everything
 * @param topK             0: a dense store (every logit, {@code teacher_logits}); k &gt; 0: only the k most probable
 *                         classes per row plus the log-sum-exp of all logits (see
 *                         {@link io.distillery.store.SoftTargetSchema})
 * @param logitPrecision   precision of a top-k store's kept values; a dense store is always float32
 * @param featurePrecision precision of the {@code tap_*} columns (the student's input {@code features} stay float32)
 * @param runtime          engine that runs a DL4J teacher: {@code dl4j}, or {@code onnx} (exported to ONNX on the
 *                         driver and run by ONNX Runtime); an ONNX teacher always runs on ONNX Runtime
 * @param onnxLogits       an ONNX teacher's output holding its logits; empty: its first output
 * @param onnxProbabilities true when that output holds probabilities (their logarithms are stored as logits)
 */
public record SoftTargetSpec(String path, int batchSize, List<String> taps, boolean incremental, int topK,
                             Precision logitPrecision, Precision featurePrecision, String runtime,
                             String onnxLogits, boolean onnxProbabilities) {
    /** Engines that can run a DL4J teacher. */
    public static final List<String> RUNTIMES = List.of("dl4j", "onnx");

    /** A dense float32 store (the default layout). */
    public SoftTargetSpec(String path, int batchSize, List<String> taps, boolean incremental) {
        this(path, batchSize, taps, incremental, 0, Precision.FLOAT32, Precision.FLOAT32);
    }

    /** A store of the given layout made by the default runtime. */
    public SoftTargetSpec(String path, int batchSize, List<String> taps, boolean incremental, int topK,
                          Precision logitPrecision, Precision featurePrecision) {
        this(path, batchSize, taps, incremental, topK, logitPrecision, featurePrecision, "dl4j", "", false);
    }

    /** True when the store keeps only the top-k classes. */
    public boolean isTopK() {
        return topK > 0;
    }

    static SoftTargetSpec from(Config c, ConfigProblems problems) {
        Precision logit = precision(c, "logit-precision", problems);
        Precision feature = precision(c, "feature-precision", problems);
        SoftTargetSpec s = new SoftTargetSpec(c.getString("path"), c.getInt("batch-size"), c.getStringList("taps"),
                c.getBoolean("incremental"), c.getInt("top-k"), logit, feature, c.getString("runtime"),
                c.getString("onnx.logits-output"), c.getBoolean("onnx.probabilities"));
        problems.check(RUNTIMES.contains(s.runtime), "Key distillery.soft-targets.runtime is '" + s.runtime
                + "'; it must be dl4j or onnx.");
        problems.check(s.batchSize > 0,
                "Key distillery.soft-targets.batch-size is " + s.batchSize + "; it must be positive.");
        problems.check(s.topK >= 0, "Key distillery.soft-targets.top-k is " + s.topK
                + "; it must be 0 (a dense store) or the number of most probable classes to keep per row.");
        problems.check(s.topK != 0 || logit != Precision.FLOAT16, "Key distillery.soft-targets.logit-precision is "
                + "float16 but top-k is 0; a dense store keeps float32 logits, so set top-k to use float16 values.");
        return s;
    }

    private static Precision precision(Config c, String key, ConfigProblems problems) {
        String value = c.getString(key);
        Precision p = Precision.parse(value);
        if (p == null) {
            problems.add("Key distillery.soft-targets." + key + " is '" + value + "'; it must be float32 or float16.");
            return Precision.FLOAT32;
        }
        return p;
    }
}
