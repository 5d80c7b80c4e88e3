package io.distillery.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Partial evaluation results of several models over some rows, mergeable across partitions: each model's
 * {@link ClassificationMetrics}, the nanoseconds its forward passes took, and for every pair of models the number of
 * rows on which their predicted classes differ (churn, when the two are retrains of one procedure).
 */
public final class EvaluationResult implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, ClassificationMetrics> metrics = new LinkedHashMap<>();
    private final Map<String, Long> forwardNanos = new LinkedHashMap<>();
    private final Map<String, Long> disagreements = new LinkedHashMap<>();
    private long pairRows;

    public ClassificationMetrics metrics(String model, int numClasses, int eceBins) {
        return metrics.computeIfAbsent(model, m -> new ClassificationMetrics(numClasses, eceBins));
    }

    public void addForwardNanos(String model, long nanos) {
        forwardNanos.merge(model, nanos, Long::sum);
    }

    /** Key of a pair of models in {@link #disagreement()}: {@code "a|b"}, in the order they were evaluated. */
    public static String pair(String a, String b) {
        return a + "|" + b;
    }

    /** Counts, for each pair of models, the rows of one batch whose predicted classes differ. */
    public void addPredictions(Map<String, int[]> predicted) {
        List<String> names = new ArrayList<>(predicted.keySet());
        int n = predicted.isEmpty() ? 0 : predicted.get(names.get(0)).length;
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                int[] a = predicted.get(names.get(i));
                int[] b = predicted.get(names.get(j));
                long differ = 0;
                for (int r = 0; r < n; r++) {
                    if (a[r] != b[r]) {
                        differ++;
                    }
                }
                disagreements.merge(pair(names.get(i), names.get(j)), differ, Long::sum);
            }
        }
        pairRows += n;
    }

    /** For each pair of models ({@link #pair}), the fraction of rows on which their predicted classes differ. */
    public Map<String, Double> disagreement() {
        Map<String, Double> out = new LinkedHashMap<>();
        disagreements.forEach((k, v) -> out.put(k, pairRows == 0 ? Double.NaN : (double) v / pairRows));
        return out;
    }

    public Map<String, ClassificationMetrics> metrics() {
        return metrics;
    }

    /** Rows per second of one executor thread's batched forward passes. */
    public double rowsPerSecond(String model) {
        long nanos = forwardNanos.getOrDefault(model, 0L);
        return nanos == 0 ? Double.NaN : metrics.get(model).count() / (nanos / 1e9);
    }

    public EvaluationResult merge(EvaluationResult other) {
        other.metrics.forEach((k, v) -> metrics.merge(k, v, ClassificationMetrics::merge));
        other.forwardNanos.forEach((k, v) -> forwardNanos.merge(k, v, Long::sum));
        other.disagreements.forEach((k, v) -> disagreements.merge(k, v, Long::sum));
        pairRows += other.pairRows;
        return this;
    }
}
