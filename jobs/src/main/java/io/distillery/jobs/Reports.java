package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.provenance.ProvenanceJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Reads {@code metrics.json} and renders the short table that {@code run} prints. */
public final class Reports {
    private Reports() {
    }

    static Map<String, Object> readMetrics(JobContext ctx, String evaluationDir) {
        try {
            return ProvenanceJson.mapper().readValue(
                    ctx.files().readText(evaluationDir + "/" + EvaluateJob.METRICS_FILE), new TypeReference<>() {
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The summary table: accuracy and size of each model, the epoch whose parameters it kept out of the epochs it
     * trained ({@code 13/18}: early stopping kept epoch 13 and stopped after 18), and where the artifacts are.
     */
    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> document, Map<String, String> paths) {
        Map<String, Object> models = (Map<String, Object>) document.get("models");
        // As wide as the longest name (self-distill@exit-hidden1), at least 10 as the table always was.
        int width = Math.max(10, models.keySet().stream().mapToInt(String::length).max().orElse(0));
        String name = "%-" + width + "s";
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, name + " %9s %8s %12s %12s  %s%n",
                "model", "accuracy", "epoch", "parameters", "zip bytes", "artifact"));
        for (Map.Entry<String, Object> e : models.entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            out.append(String.format(Locale.ROOT, name + " %9.4f %8s %,12d %,12d  %s%n", e.getKey(),
                    ((Number) m.get("accuracy")).doubleValue(), epoch(m), ((Number) m.get("parameters")).longValue(),
                    ((Number) m.get("serializedBytes")).longValue(), paths.getOrDefault(e.getKey(), "")));
        }
        if (document.get(EvaluateJob.CLASS_NAMES) instanceof List<?> names) {
            out.append(perClassTable((List<String>) names, models));
        }
        return out.toString();
    }

    /** String labels only: each class's accuracy per model, one row per class name in index order. */
    @SuppressWarnings("unchecked")
    private static String perClassTable(List<String> names, Map<String, Object> models) {
        int nameWidth = Math.max("class".length(), names.stream().mapToInt(String::length).max().orElse(0));
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%n%-" + nameWidth + "s", "class"));
        models.keySet().forEach(model -> out.append(String.format(Locale.ROOT, " %10s", model)));
        out.append(System.lineSeparator());
        for (int i = 0; i < names.size(); i++) {
            out.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", names.get(i)));
            for (Object entry : models.values()) {
                Object a = ((List<Object>) ((Map<String, Object>) entry).get("perClassAccuracy")).get(i);
                out.append(a == null ? String.format(Locale.ROOT, " %10s", "-")
                        : String.format(Locale.ROOT, " %10.4f", ((Number) a).doubleValue()));
            }
            out.append(System.lineSeparator());
        }
        return out.toString();
    }

    /** {@code kept/trained}, or {@code trained} without early stopping, or {@code -} when not recorded. */
    static String epoch(Map<String, Object> model) {
        Object trained = model.get("epochsTrained");
        Object best = model.get("bestEpoch");
        if (trained == null) {
            return "-";
        }
        return best == null ? trained.toString() : best + "/" + trained;
    }
}
