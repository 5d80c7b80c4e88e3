package io.distillery.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The timed runs of one thing measured (e.g. "our averaging, student 784-32-10, default threads"): each run's wall
 * time over the same {@code rows}, and their median.
 */
public final class Measurement {
    private final String section;
    private final String name;
    private final String model;
    private final String threads;
    private final long rows;
    private final List<Double> seconds = new ArrayList<>();

    /**
     * @param section "soft-targets" or "training"
     * @param name    what ran ("ours", "plain", "dl4j", ...)
     * @param model   the network ("teacher 784-512-512-10", "student 784-32-10", ...)
     * @param threads ND4J threads of this side ("default (2)", "1", ...)
     * @param rows    rows processed per run
     */
    public Measurement(String section, String name, String model, String threads, long rows) {
        this.section = section;
        this.name = name;
        this.model = model;
        this.threads = threads;
        this.rows = rows;
    }

    public void add(double runSeconds) {
        seconds.add(runSeconds);
    }

    public String section() {
        return section;
    }

    public String name() {
        return name;
    }

    public String model() {
        return model;
    }

    public String threads() {
        return threads;
    }

    public long rows() {
        return rows;
    }

    public List<Double> seconds() {
        return List.copyOf(seconds);
    }

    /** Rows per second of each run, in run order. */
    public double[] rowsPerSecond() {
        return seconds.stream().mapToDouble(s -> rows / s).toArray();
    }

    public double medianSeconds() {
        return median(seconds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public double medianRowsPerSecond() {
        return median(rowsPerSecond());
    }

    /** Median (mean of the two middle values for an even count); NaN when empty. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("section", section);
        m.put("name", name);
        m.put("model", model);
        m.put("threads", threads);
        m.put("rows", rows);
        m.put("seconds", seconds());
        m.put("rows_per_second", Arrays.stream(rowsPerSecond()).boxed().toList());
        m.put("median_seconds", medianSeconds());
        m.put("median_rows_per_second", medianRowsPerSecond());
        return m;
    }
}
