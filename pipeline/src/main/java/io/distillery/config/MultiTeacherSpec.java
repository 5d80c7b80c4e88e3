package io.distillery.config;

import com.typesafe.config.Config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Multi-teacher offline distillation: K teachers, each trained like the one teacher and run into its own
 * soft-target store, and one student that learns from their targets combined row by row
 * ({@code io.distillery.loss.TeacherCombiner}).
 *
 * @param path        where the teachers and their stores go: {@code <path>/teachers/<name>},
 *                    {@code <path>/stores/<name>}
 * @param studentPath the student's artifact directory (by default {@code <path>/student})
 * @param teachers    the teachers, at least two when the scheme runs, each with a unique name
 * @param combine     {@code mean-probabilities}, {@code mean-logits}, {@code weighted}, {@code confidence} or
 *                    {@code per-teacher-loss}
 * @param weights     {@code weighted} only: one non-negative weight per teacher, in order
 * @param temperature T at which the teachers' probabilities are combined: that of the student's response term
 */
public record MultiTeacherSpec(String path, String studentPath, List<NamedTeacher> teachers, String combine,
                               List<Double> weights, double temperature) {

    /** The combiners {@code combine} may name. */
    public static final List<String> COMBINERS = List.of("mean-probabilities", "mean-logits", "weighted",
            "confidence", "per-teacher-loss");

    /**
     * One teacher: its name (its directories and its report name {@code teacher:<name>}), its architecture (the
     * keys of {@code teacher.model} it overrides) and its schedule (likewise of {@code teacher.train}).
     */
    public record NamedTeacher(String name, ModelSpec model, TrainSpec train) {
    }

    static MultiTeacherSpec from(Config c, Config teacherModel, Config teacherTrain, ConfigProblems problems) {
        String base = "distillery.multi-teacher";
        List<NamedTeacher> teachers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<? extends Config> raw = c.getConfigList("teachers");
        for (int i = 0; i < raw.size(); i++) {
            Config t = raw.get(i);
            String at = base + ".teachers[" + i + "]";
            String name = EntryNames.checked(t, at, "teacher", names, problems);
            if (name == null) {
                continue;
            }
            Config model = t.hasPath("model") ? t.getConfig("model").withFallback(teacherModel) : teacherModel;
            Config train = t.hasPath("train") ? t.getConfig("train").withFallback(teacherTrain) : teacherTrain;
            teachers.add(new NamedTeacher(name, ModelSpec.from(model, at + ".model", problems),
                    TrainSpec.from(train, at + ".train", problems)));
        }
        List<Double> weights = List.copyOf(c.getDoubleList("weights"));
        MultiTeacherSpec s = new MultiTeacherSpec(c.getString("path"), c.getString("student-path"),
                List.copyOf(teachers), c.getString("combine"), weights, c.getDouble("temperature"));
        problems.check(COMBINERS.contains(s.combine), "Key " + base + ".combine is '" + s.combine + "'; use one of "
                + COMBINERS + ".");
        problems.check(!s.combine.equals("weighted") || weights.size() == raw.size(), "Key " + base + ".weights has "
                + weights.size() + " value(s) for " + raw.size() + " teachers; combine = weighted needs one each.");
        problems.check(weights.stream().allMatch(w -> w >= 0 && Double.isFinite(w))
                        && (weights.isEmpty() || weights.stream().mapToDouble(Double::doubleValue).sum() > 0),
                "Key " + base + ".weights is " + weights + "; weights must be finite, not negative and not all 0.");
        problems.check(s.temperature > 0 && Double.isFinite(s.temperature), "Key " + base + ".temperature is "
                + s.temperature + "; it must be positive.");
        return s;
    }

    /** The teacher names, in declaration order. */
    public List<String> names() {
        return teachers.stream().map(NamedTeacher::name).toList();
    }

    /** Artifact directory of teacher {@code name}. */
    public String teacherPath(String name) {
        return path + "/teachers/" + name;
    }

    /** Soft-target store of teacher {@code name}. */
    public String storePath(String name) {
        return path + "/stores/" + name;
    }
}
