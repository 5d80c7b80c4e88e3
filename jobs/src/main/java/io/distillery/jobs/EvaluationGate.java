package io.distillery.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.config.DistilleryException;
import io.distillery.config.GateSpec;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The evaluation gate ({@code evaluate.gate}): judges a metrics document against the configured thresholds and the
 * previous run's metrics. Pure logic over the documents, so that a scheduled run's pass or fail depends on the
 * numbers in {@code metrics.json} alone.
 */
public final class EvaluationGate {
    private EvaluationGate() {
    }

    /**
     * The verdict: passed when {@code violations} is empty; {@code notes} say what was not compared and why.
     *
     * @param violations one sentence per violated threshold
     * @param notes      one sentence per check that passed by default (no previous run, a model it lacks)
     */
    public record Verdict(List<String> violations, List<String> notes) {
        public boolean passed() {
            return violations.isEmpty();
        }

        /** The verdict as written into {@code metrics.json} under {@code gate}. */
        Map<String, Object> toMap(GateSpec gate, String previousFile) {
            Map<String, Object> thresholds = new LinkedHashMap<>();
            thresholds.put("minAccuracy", new java.util.TreeMap<>(gate.minAccuracy()));
            thresholds.put("minAgreementWithTeacher", new java.util.TreeMap<>(gate.minAgreementWithTeacher()));
            thresholds.put("maxAccuracyDrop", new java.util.TreeMap<>(gate.maxAccuracyDrop()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("passed", passed());
            m.put("violations", violations);
            m.put("notes", notes);
            m.put("thresholds", thresholds);
            m.put("previous", previousFile);
            return m;
        }
    }

    /**
     * Refuses, in one sentence per name, thresholds for models this evaluation cannot produce; called before any
     * Spark job.
     */
    public static void checkModels(GateSpec gate, Collection<String> models) {
        Set<String> unknown = new TreeSet<>(gate.models());
        unknown.removeAll(models);
        if (!unknown.isEmpty()) {
            List<String> sentences = new ArrayList<>();
            for (String name : unknown) {
                sentences.add("Key " + GateSpec.KEY + " names model '" + name + "' (in " + keysNaming(gate, name)
                        + ") but this evaluation has only the models " + models + ".");
            }
            throw new DistilleryException(String.join(" ", sentences));
        }
    }

    /** The file the gate compares with: {@code previous} itself when it ends in .json, else its metrics.json. */
    public static String previousFile(GateSpec gate) {
        String p = gate.previous();
        if (p.isBlank()) {
            return null;
        }
        return p.endsWith(".json") ? p : p.replaceAll("/+$", "") + "/" + EvaluateJob.METRICS_FILE;
    }

    /**
     * The previous run's per-model metrics ({@code models} of its metrics.json), or null when there is none to
     * compare with (no {@code previous}, or the file does not exist: a first run). Unreadable is a user error.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readPrevious(ArtifactFiles files, GateSpec gate) {
        String file = previousFile(gate);
        if (file == null || !files.exists(file)) {
            return null;
        }
        Map<String, Object> doc;
        try {
            doc = ProvenanceJson.mapper().readValue(files.readText(file), new TypeReference<>() {
            });
        } catch (IOException e) {
            throw new DistilleryException("Previous metrics " + file + " (" + GateSpec.KEY + ".previous) cannot be "
                    + "read as JSON: " + e.getMessage().lines().findFirst().orElse("") + ".", e);
        }
        Object models = doc.get("models");
        if (!(models instanceof Map)) {
            throw new DistilleryException("Previous metrics " + file + " (" + GateSpec.KEY + ".previous) has no "
                    + "'models' entry; it must be a metrics.json written by evaluate.");
        }
        return (Map<String, Object>) models;
    }

    /**
     * Judges the evaluated models.
     *
     * @param models       the {@code models} of this run's metrics document
     * @param previous     the previous run's {@code models}, or null when there is none
     * @param previousFile where they came from (for the sentences)
     */
    @SuppressWarnings("unchecked")
    public static Verdict judge(GateSpec gate, Map<String, Object> models, Map<String, Object> previous,
                                String previousFile) {
        List<String> violations = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (String name : gate.models()) {
            Map<String, Object> m = (Map<String, Object>) models.get(name);
            if (m == null) {
                violations.add("Model " + name + " was not evaluated (no committed model), but " + keysNaming(gate,
                        name) + " names it.");
                continue;
            }
            Double accuracy = number(m.get("accuracy"));
            Double min = gate.minAccuracy().get(name);
            if (min != null && !(accuracy != null && accuracy >= min)) {
                violations.add(String.format(Locale.ROOT, "Model %s has accuracy %s, below %s.min-accuracy.%s = %s.",
                        name, format(accuracy), GateSpec.KEY, name, min));
            }
            Double agreement = number(m.get("agreementWithTeacher"));
            Double minAgreement = gate.minAgreementWithTeacher().get(name);
            if (minAgreement != null && !(agreement != null && agreement >= minAgreement)) {
                violations.add(String.format(Locale.ROOT, "Model %s agrees with the teacher on %s of the test rows"
                                + "%s, below %s.min-agreement-with-teacher.%s = %s.", name, format(agreement),
                        agreement == null ? " (the teacher was not evaluated)" : "", GateSpec.KEY, name,
                        minAgreement));
            }
            Double maxDrop = gate.maxAccuracyDrop().get(name);
            if (maxDrop != null) {
                checkDrop(name, accuracy, maxDrop, previous, previousFile, violations, notes);
            }
        }
        return new Verdict(List.copyOf(violations), List.copyOf(notes));
    }

    @SuppressWarnings("unchecked")
    private static void checkDrop(String name, Double accuracy, double maxDrop, Map<String, Object> previous,
                                  String previousFile, List<String> violations, List<String> notes) {
        if (previous == null) {
            notes.add("No previous metrics " + (previousFile == null ? "configured (" + GateSpec.KEY
                    + ".previous is empty)" : "at " + previousFile) + ", so the accuracy drop of " + name
                    + " was not checked (a first run passes).");
            return;
        }
        Object before = previous.get(name);
        Double was = before instanceof Map ? number(((Map<String, Object>) before).get("accuracy")) : null;
        if (was == null) {
            notes.add("Previous metrics " + previousFile + " have no accuracy of " + name
                    + ", so its accuracy drop was not checked.");
            return;
        }
        double drop = was - (accuracy == null ? 0 : accuracy);
        // A tolerance of 1e-9: accuracies are ratios of counts, printed and parsed back through JSON.
        if (drop > maxDrop + 1e-9) {
            violations.add(String.format(Locale.ROOT, "Model %s has accuracy %s, %.4f below the previous run's "
                            + "%.4f (%s), more than %s.max-accuracy-drop.%s = %s.", name, format(accuracy), drop,
                    was, previousFile, GateSpec.KEY, name, maxDrop));
        }
    }

    private static String keysNaming(GateSpec gate, String name) {
        List<String> keys = new ArrayList<>();
        if (gate.minAccuracy().containsKey(name)) {
            keys.add(GateSpec.KEY + ".min-accuracy." + name);
        }
        if (gate.minAgreementWithTeacher().containsKey(name)) {
            keys.add(GateSpec.KEY + ".min-agreement-with-teacher." + name);
        }
        if (gate.maxAccuracyDrop().containsKey(name)) {
            keys.add(GateSpec.KEY + ".max-accuracy-drop." + name);
        }
        return String.join(", ", keys);
    }

    private static Double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : null;
    }

    private static String format(Double d) {
        return d == null ? "none" : String.format(Locale.ROOT, "%.4f", d);
    }
}
