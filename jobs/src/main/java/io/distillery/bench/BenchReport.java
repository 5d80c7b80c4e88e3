package io.distillery.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Everything one bench run measured: the machine, the settings, every measurement and the ratios between them. */
public final class BenchReport {
    /** The ratio the project aims for between our distributed paths and the plain single-process loop. */
    public static final double GOAL = 0.8;
    /** Shorter timed runs are dominated by noise on a shared machine: the report says which ones were. */
    public static final double MIN_RUN_SECONDS = 10;
    /** Fewer timed runs give no stable median: the report says so. */
    public static final int MIN_RUNS = 5;

    /**
     * One ratio of median throughputs, with the spread of the per-run ratios: the two sides run alternately, so
     * run i of one and run i of the other saw about the same machine.
     *
     * @param name        e.g. "soft-targets job / plain"
     * @param model       the network both sides ran
     * @param threads     the Spark side's ND4J threads
     * @param value       numerator median rows/s divided by denominator median rows/s
     * @param min         the smallest ratio of rows/s of two runs of the same turn, NaN when the run counts differ
     * @param max         the largest such ratio
     * @param goal        the goal for this ratio, or NaN when there is none
     */
    public record Ratio(String name, String model, String threads, double value, double min, double max,
                        double goal) {
    }

    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private final List<Measurement> measurements = new ArrayList<>();
    private final List<Ratio> ratios = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public Map<String, Object> machine() {
        return machine;
    }

    public Map<String, Object> settings() {
        return settings;
    }

    public List<Measurement> measurements() {
        return measurements;
    }

    public List<Ratio> ratios() {
        return ratios;
    }

    public List<String> notes() {
        return notes;
    }

    Measurement add(Measurement m) {
        measurements.add(m);
        return m;
    }

    void ratio(String name, Measurement numerator, Measurement denominator, double goal) {
        double[] top = numerator.rowsPerSecond();
        double[] bottom = denominator.rowsPerSecond();
        double min = Double.NaN;
        double max = Double.NaN;
        if (top.length == bottom.length && top.length > 0) {
            min = Double.POSITIVE_INFINITY;
            max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < top.length; i++) {
                min = Math.min(min, top[i] / bottom[i]);
                max = Math.max(max, top[i] / bottom[i]);
            }
        }
        ratios.add(new Ratio(name, numerator.model(), numerator.threads(),
                numerator.medianRowsPerSecond() / denominator.medianRowsPerSecond(), min, max, goal));
    }

    /**
     * What makes this report's figures unreliable by the bench's own rules (timed runs of at least
     * {@link #MIN_RUN_SECONDS} each, at least {@link #MIN_RUNS} of them per measurement), one sentence each; empty
     * when they were kept.
     */
    public List<String> trustProblems() {
        List<String> problems = new ArrayList<>();
        List<String> shortRuns = new ArrayList<>();
        List<String> fewRuns = new ArrayList<>();
        for (Measurement m : measurements) {
            String who = m.section() + " " + m.name() + " (" + m.model() + ", threads " + m.threads() + ")";
            if (m.medianSeconds() < MIN_RUN_SECONDS) {
                shortRuns.add(String.format(Locale.ROOT, "%s %.1f s", who, m.medianSeconds()));
            }
            if (m.seconds().size() < MIN_RUNS) {
                fewRuns.add(who + " " + m.seconds().size());
            }
        }
        if (!shortRuns.isEmpty()) {
            problems.add(String.format(Locale.ROOT, "timed runs shorter than %.0f s are noise on a shared machine; "
                    + "median run of %s: raise --rows or --epochs.", MIN_RUN_SECONDS, String.join(", ", shortRuns)));
        }
        if (!fewRuns.isEmpty()) {
            problems.add("medians of fewer than " + MIN_RUNS + " runs are not stable; runs of "
                    + String.join(", ", fewRuns) + ": raise --repeats.");
        }
        return problems;
    }

    /** The human-readable report: machine, settings, every measurement with its runs, then the ratios. */
    public String render() {
        StringBuilder s = new StringBuilder();
        s.append("== Distillery bench ==\n");
        s.append("machine:\n");
        machine.forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-26s %s%n", k, v)));
        s.append("settings:\n");
        settings.forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-26s %s%n", k, v)));
        s.append('\n');
        String header = String.format(Locale.ROOT, "%-13s %-39s %-38s %-12s %8s %13s %9s  %s%n", "section",
                "what", "model", "nd4j threads", "rows", "median rows/s", "median s", "runs (s)");
        s.append(header);
        s.append("-".repeat(header.length() - 1)).append('\n');
        for (Measurement m : measurements) {
            s.append(String.format(Locale.ROOT, "%-13s %-39s %-38s %-12s %8d %13.0f %9.3f  %s%n", m.section(),
                    m.name(), m.model(), m.threads(), m.rows(), m.medianRowsPerSecond(), m.medianSeconds(),
                    m.seconds().stream().map(x -> String.format(Locale.ROOT, "%.3f", x))
                            .collect(Collectors.joining(" "))));
        }
        s.append('\n');
        String rh = String.format(Locale.ROOT, "%-42s %-38s %-12s %7s %7s %7s  %s%n", "ratio of median rows/s",
                "model", "nd4j threads", "value", "min", "max", "goal");
        s.append(rh);
        s.append("-".repeat(rh.length() - 1)).append('\n');
        for (Ratio r : ratios) {
            String goal = Double.isNaN(r.goal()) ? "-"
                    : String.format(Locale.ROOT, ">= %.2f %s", r.goal(), r.value() >= r.goal() ? "met" : "NOT met");
            s.append(String.format(Locale.ROOT, "%-42s %-38s %-12s %7.3f %7.3f %7.3f  %s%n", r.name(), r.model(),
                    r.threads(), r.value(), r.min(), r.max(), goal));
        }
        List<String> problems = trustProblems();
        if (!notes.isEmpty() || !problems.isEmpty()) {
            s.append('\n');
            for (String p : problems) {
                s.append("UNRELIABLE: ").append(p).append('\n');
            }
            for (String n : notes) {
                s.append("note: ").append(n).append('\n');
            }
        }
        return s.toString();
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("machine", machine);
        m.put("settings", settings);
        m.put("measurements", measurements.stream().map(Measurement::toJson).toList());
        m.put("ratios", ratios.stream().map(r -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", r.name());
            x.put("model", r.model());
            x.put("threads", r.threads());
            x.put("value", r.value());
            x.put("min", Double.isNaN(r.min()) ? null : r.min());
            x.put("max", Double.isNaN(r.max()) ? null : r.max());
            x.put("goal", Double.isNaN(r.goal()) ? null : r.goal());
            return x;
        }).toList());
        m.put("unreliable", trustProblems());
        m.put("notes", notes);
        return m;
    }
}
