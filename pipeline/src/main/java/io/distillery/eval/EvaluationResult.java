package io.distillery.eval;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Partial evaluation results of several models over some rows, mergeable across partitions: each model's
 * {@link ClassificationMetrics} and the nanoseconds its forward passes took.
 */
public final class EvaluationResult implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Map<String, ClassificationMetrics> metrics = new LinkedHashMap<>();
    private final Map<String, Long> forwardNanos = new LinkedHashMap<>();

    public ClassificationMetrics metrics(String model, int numClasses, int eceBins) {
        return metrics.computeIfAbsent(model, m -> new ClassificationMetrics(numClasses, eceBins));
    }

    public void addForwardNanos(String model, long nanos) {
        forwardNanos.merge(model, nanos, Long::sum);
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
        return this;
    }
}
