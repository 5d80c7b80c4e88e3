package io.distillery.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects every problem found while validating, so that the user sees all of them at once instead of fixing one
 * per run (the Spark ML {@code transformSchema} / XGBoost4J-Spark {@code validate} convention).
 */
public final class ConfigProblems {
    private final List<String> problems = new ArrayList<>();

    /** Records a problem when {@code failed} is true. */
    public void check(boolean ok, String sentence) {
        if (!ok) {
            problems.add(sentence);
        }
    }

    public void add(String sentence) {
        problems.add(sentence);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public List<String> list() {
        return List.copyOf(problems);
    }

    /** Throws a {@link DistilleryException} listing every recorded problem, if there is any. */
    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new DistilleryException(String.join(" ", problems));
        }
    }
}
