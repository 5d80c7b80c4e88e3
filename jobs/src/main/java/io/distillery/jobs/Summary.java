package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.config.DistilleryException;
import io.distillery.provenance.ProvenanceJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Summarises several runs (e.g. one per seed) from their {@code metrics.json}: mean and sample standard deviation
 * of each model's accuracy, the distilled student's margin over the baseline, and the fraction of the
 * teacher-student gap that distillation closed. Prints a Markdown table, ready for the README.
 */
public final class Summary {
    private final Map<String, List<Double>> accuracies = new LinkedHashMap<>();
    /** Per model and run, the epoch kept out of the epochs trained ({@link Reports#epoch}). */
    private final Map<String, List<String>> epochs = new LinkedHashMap<>();

    /** Reads the metrics files. */
    @SuppressWarnings("unchecked")
    public static Summary of(List<Path> metricsFiles) {
        Summary s = new Summary();
        for (Path f : metricsFiles) {
            Map<String, Object> doc;
            try {
                doc = ProvenanceJson.mapper().readValue(Files.readString(f), new TypeReference<>() {
                });
            } catch (IOException e) {
                throw new DistilleryException("Metrics file " + f + " cannot be read: " + e.getMessage(), e);
            }
            Map<String, Object> models = (Map<String, Object>) doc.get("models");
            if (models == null) {
                throw new DistilleryException("Metrics file " + f + " has no 'models' entry.");
            }
            models.forEach((name, m) -> {
                Map<String, Object> model = (Map<String, Object>) m;
                s.accuracies.computeIfAbsent(name, k -> new ArrayList<>())
                        .add(((Number) model.get("accuracy")).doubleValue());
                s.epochs.computeIfAbsent(name, k -> new ArrayList<>()).add(Reports.epoch(model));
            });
        }
        return s;
    }

    public double mean(String model) {
        return accuracies.get(model).stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (n - 1). */
    public double std(String model) {
        List<Double> a = accuracies.get(model);
        if (a.size() < 2) {
            return Double.NaN;
        }
        double m = mean(model);
        return Math.sqrt(a.stream().mapToDouble(x -> (x - m) * (x - m)).sum() / (a.size() - 1));
    }

    /**
     * A table of every model with its margin over {@code reference} (mean minus mean, in points) and whether that
     * margin exceeds twice the larger of the two standard deviations; for comparing many objectives against one
     * student trained alone.
     */
    public String render(String reference) {
        if (!accuracies.containsKey(reference)) {
            throw new DistilleryException("Model '" + reference + "' is in none of the metrics files; their models are "
                    + accuracies.keySet() + ".");
        }
        StringBuilder out = new StringBuilder("| model | runs | accuracy (mean ± std) | vs " + reference
                + " (points) | above 2 x larger std | per run | epoch kept/trained |\n|---|---|---|---|---|---|---|\n");
        accuracies.forEach((name, a) -> {
            boolean self = name.equals(reference);
            double margin = mean(name) - mean(reference);
            double bar = 2 * Math.max(std(name), std(reference));
            out.append(String.format(Locale.ROOT, "| %s | %d | %.2f%% ± %.2f | %s | %s | %s | %s |%n", name,
                    a.size(), 100 * mean(name), 100 * std(name),
                    self ? "" : String.format(Locale.ROOT, "%+.2f", 100 * margin),
                    self || Double.isNaN(bar) ? "" : Math.abs(margin) > bar ? "yes" : "no", format(a),
                    String.join(", ", epochs.get(name))));
        });
        return out.toString();
    }

    /** The Markdown table and the verdict lines. */
    public String render() {
        StringBuilder out = new StringBuilder("| model | runs | accuracy (mean ± std) | runs | epoch kept/trained |\n"
                + "|---|---|---|---|---|\n");
        accuracies.forEach((name, a) -> out.append(String.format(Locale.ROOT,
                "| %s | %d | %.2f%% ± %.2f | %s | %s |%n", name, a.size(), 100 * mean(name), 100 * std(name),
                format(a), String.join(", ", epochs.get(name)))));
        if (accuracies.containsKey("student") && accuracies.containsKey("baseline")) {
            double margin = mean("student") - mean("baseline");
            double bar = 2 * Math.max(std("student"), std("baseline"));
            out.append(String.format(Locale.ROOT, "%nDistilled student - student alone: %+.2f points "
                            + "(twice the larger std: %.2f points): %s.%n", 100 * margin, 100 * bar,
                    margin > bar ? "significant by that bar" : "NOT above that bar"));
            if (accuracies.containsKey("teacher")) {
                double gap = mean("teacher") - mean("baseline");
                out.append(String.format(Locale.ROOT, "Teacher - student alone: %.2f points; distillation closed "
                        + "%.0f%% of that gap.%n", 100 * gap, 100 * margin / gap));
            }
        }
        return out.toString();
    }

    private static String format(List<Double> a) {
        List<String> s = new ArrayList<>();
        a.forEach(x -> s.add(String.format(Locale.ROOT, "%.2f", 100 * x)));
        return String.join(", ", s);
    }
}
