package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.MultiTeacherSpec;
import io.distillery.loss.FeatureTerm;
import io.distillery.loss.Objective;
import io.distillery.provenance.Provenance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The teacher layers that the feature and relation terms of a multi-teacher student read: each term names one
 * teacher's tap as {@code teacher-layer = "<teacher>/<layer>"}, a layer that teacher's store keeps (its entry's
 * {@code taps}, by default {@code soft-targets.taps}). The combined rows carry each such tap as the column
 * {@code tap_<teacher>/<layer>}, so the training graph reads it like a single teacher's tap.
 */
final class MultiTeacherTaps {
    /** Between the teacher's name and its layer's in {@code teacher-layer}. */
    static final String SEPARATOR = "/";

    private MultiTeacherTaps() {
    }

    /**
     * The layers each teacher must provide, in the order the terms name them (each once), checked from the config
     * alone: every term's {@code teacher-layer} names a teacher of {@code multi-teacher.teachers} and a layer its
     * store keeps; each problem is one sentence naming the term and the value.
     */
    static Map<String, List<String>> byTeacher(DistilleryConfig cfg, Objective terms) {
        MultiTeacherSpec spec = cfg.multiTeacher();
        Map<String, List<String>> layers = new LinkedHashMap<>();
        spec.names().forEach(n -> layers.put(n, new ArrayList<>()));
        if (terms == null) {
            return layers;
        }
        ConfigProblems problems = new ConfigProblems();
        for (FeatureTerm term : terms.features()) {
            String named = term.teacherLayer();
            String at = "Key teacher-layer of distillery.distill.loss term '" + term.name() + "' is '" + named + "'";
            int cut = named.indexOf(SEPARATOR);
            if (cut <= 0 || !layers.containsKey(named.substring(0, cut))) {
                problems.add(at + "; a multi-teacher student names a teacher's tap as '<teacher>/<layer>' with a "
                        + "teacher of " + spec.names() + ".");
                continue;
            }
            String teacher = named.substring(0, cut);
            String layer = named.substring(cut + 1);
            List<String> stored = cfg.forTeacher(teacher).softTargets().taps();
            if (!stored.contains(layer)) {
                problems.add(at + ", but teacher '" + teacher + "' stores the taps " + stored + " (its entry's "
                        + "taps in distillery.multi-teacher.teachers, or distillery.soft-targets.taps).");
            } else if (!layers.get(teacher).contains(layer)) {
                layers.get(teacher).add(layer);
            }
        }
        problems.throwIfAny();
        return layers;
    }

    /** {@code <teacher>/<layer>}: how a term names the tap, and (prefixed {@code tap_}) its column. */
    static String key(String teacher, String layer) {
        return teacher + SEPARATOR + layer;
    }

    /** The shapes of the named taps by {@link #key}, each from its own teacher's configuration and store. */
    static Map<String, int[]> shapes(JobContext ctx, Map<String, Provenance> stores,
                                     Map<String, List<String>> byTeacher) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        byTeacher.forEach((teacher, taps) -> {
            if (taps.isEmpty()) {
                return;
            }
            Map<String, int[]> own = DistillJob.tapShapes(MultiTeacherStore.forTeacher(ctx, teacher),
                    stores.get(teacher));
            taps.forEach(layer -> shapes.put(key(teacher, layer), own.get(layer)));
        });
        return shapes;
    }
}
