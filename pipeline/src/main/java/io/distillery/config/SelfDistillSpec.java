package io.distillery.config;

import com.typesafe.config.Config;

import java.util.List;

/**
 * Self-distillation ("Be Your Own Teacher", Zhang et al. 2019): the student ({@code student.model}) with a
 * classifier exit on each named inner hidden layer; every exit learns the labels, and the shallow exits also learn
 * the deepest exit's prediction by KD.
 *
 * @param path        the multi-exit student's artifact; the same student with the exits trained on labels only (the
 *                    comparison) goes to {@code <path>-alone}
 * @param exits       inner hidden layers of the student that get an exit, shallow to deep
 * @param temperature T of the shallow exits' KD term
 * @param alpha       weight of that term; the labels' term gets {@code 1 - alpha}
 * @param teacher     whether every exit also learns from the teacher's soft-target store ({@code soft-targets.path}):
 *                    the deepest {@code (1 - alpha) ce + alpha kd(T)} from the teacher, a shallow exit
 *                    {@code (1 - alpha) ce + alpha} times the mean of kd(T) from the deepest exit and from the teacher
 * @param hintWeight  weight of each exit's feature hint towards the last hidden layer's activation; 0: no hints
 */
public record SelfDistillSpec(String path, List<String> exits, double temperature, double alpha, boolean teacher,
                              double hintWeight) {

    static SelfDistillSpec from(Config c, ConfigProblems problems) {
        String base = "distillery.self-distill";
        SelfDistillSpec s = new SelfDistillSpec(c.getString("path"), List.copyOf(c.getStringList("exits")),
                c.getDouble("temperature"), c.getDouble("alpha"), c.getBoolean("teacher"), c.getDouble("hint-weight"));
        problems.check(s.temperature > 0 && Double.isFinite(s.temperature), "Key " + base + ".temperature is "
                + s.temperature + "; it must be positive.");
        problems.check(s.alpha >= 0 && s.alpha <= 1, "Key " + base + ".alpha is " + s.alpha
                + "; it must be in [0, 1].");
        problems.check(s.hintWeight >= 0 && Double.isFinite(s.hintWeight), "Key " + base + ".hint-weight is "
                + s.hintWeight + "; it must be finite and >= 0.");
        return s;
    }

    /** The comparison: the same exits trained on the labels alone. */
    public String alonePath() {
        return path + "-alone";
    }
}
