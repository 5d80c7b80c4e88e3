package io.distillery.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The evaluation gate ({@code evaluate.gate}): thresholds a scheduled run must meet, checked by {@code evaluate}
 * after it wrote {@code metrics.json}. Each threshold map is keyed by model name (as in {@code metrics.json}).
 *
 * @param minAccuracy             model to the lowest accuracy it may have
 * @param minAgreementWithTeacher model to the lowest fraction of test rows on which it may agree with the teacher
 *                                (the evaluation's reference model)
 * @param maxAccuracyDrop         model to the largest accuracy it may lose against the previous run (0.02 = two
 *                                points)
 * @param previous                the previous run's {@code metrics.json} or evaluation directory; empty: none
 */
public record GateSpec(Map<String, Double> minAccuracy, Map<String, Double> minAgreementWithTeacher,
                       Map<String, Double> maxAccuracyDrop, String previous) {

    /** The key of the gate, for messages. */
    public static final String KEY = "distillery.evaluate.gate";

    /** True when any threshold is set; an inactive gate passes without being recorded. */
    public boolean active() {
        return !minAccuracy.isEmpty() || !minAgreementWithTeacher.isEmpty() || !maxAccuracyDrop.isEmpty();
    }

    /** Every model name a threshold names, sorted. */
    public Set<String> models() {
        Set<String> names = new TreeSet<>(minAccuracy.keySet());
        names.addAll(minAgreementWithTeacher.keySet());
        names.addAll(maxAccuracyDrop.keySet());
        return names;
    }

    static GateSpec from(Config c, ConfigProblems problems) {
        return new GateSpec(thresholds(c, "min-accuracy", problems),
                thresholds(c, "min-agreement-with-teacher", problems),
                thresholds(c, "max-accuracy-drop", problems), c.getString("previous"));
    }

    /** A map of model name to a number in [0, 1]; each bad entry is one problem naming its key and value. */
    private static Map<String, Double> thresholds(Config c, String key, ConfigProblems problems) {
        Map<String, Double> out = new LinkedHashMap<>();
        Config map = c.getConfig(key);
        for (String model : new TreeSet<>(map.root().keySet())) {
            String at = KEY + "." + key + "." + model;
            double value;
            try {
                value = map.getDouble(com.typesafe.config.ConfigUtil.joinPath(model));
            } catch (ConfigException.WrongType e) {
                problems.add("Key " + at + " is " + map.root().get(model).render() + "; it must be a number in "
                        + "[0, 1].");
                continue;
            }
            problems.check(value >= 0 && value <= 1, "Key " + at + " is " + value + "; it must be in [0, 1].");
            out.put(model, value);
        }
        return Map.copyOf(out);
    }
}
