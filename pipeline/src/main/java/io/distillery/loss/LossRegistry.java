package io.distillery.loss;

import io.distillery.config.DistilleryException;

import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Loss terms by name. Response-based {@link LossTerm}s: {@code kd}, {@code ce}, {@code dkd}, {@code logit-mse}, plus
 * any registered with {@link #register}. Feature- and relation-based {@link FeatureTerm}s, which need a hidden
 * student layer and a teacher tap and so an auxiliary head of the training graph: {@code hint}, {@code attention},
 * {@code similarity}, {@code rkd} ({@link #createFeature}). {@link #knownNames()} lists both kinds, so an unknown
 * name's message always lists every term.
 *
 * <p>Names and parameters usually come from the user's configuration, so every problem with them is a
 * {@link DistilleryException} whose message is a full sentence naming the term and the offending key or value.
 *
 * <p>{@link CompositeLoss} rebuilds its terms through this registry when it is read back from a model's JSON
 * configuration (or Java-deserialized on a Spark executor), so a term registered at run time must be registered,
 * under the same name, in every JVM that loads such a model.
 */
public final class LossRegistry {

    /** Builds a term from checked parameters; may throw {@link IllegalArgumentException} for bad values. */
    @FunctionalInterface
    public interface Factory extends Function<TermParams, LossTerm> {
    }

    private record Entry(Set<String> parameterNames, Factory factory) {
    }

    private static final Map<String, Entry> TERMS = new ConcurrentHashMap<>();

    /** Parameters every feature term takes. */
    public static final String STUDENT_LAYER = "student-layer";
    public static final String TEACHER_LAYER = "teacher-layer";
    private static final Map<String, Set<String>> FEATURE_TERMS = Map.of(
            HintLoss.NAME, Set.of(STUDENT_LAYER, TEACHER_LAYER),
            AttentionLoss.NAME, Set.of(STUDENT_LAYER, TEACHER_LAYER),
            SimilarityLoss.NAME, Set.of(STUDENT_LAYER, TEACHER_LAYER),
            RkdLoss.NAME, Set.of(STUDENT_LAYER, TEACHER_LAYER, "distance", "angle"));

    static {
        register(KdTerm.NAME, Set.of("temperature"), p -> new KdTerm(p.number("temperature")));
        register(CeTerm.NAME, Set.of(), p -> new CeTerm());
        register(DkdTerm.NAME, Set.of("temperature", "alpha", "beta"), p -> new DkdTerm(p.number("temperature"),
                p.number("alpha", DkdTerm.DEFAULT_ALPHA), p.number("beta", DkdTerm.DEFAULT_BETA)));
        register(LogitMseTerm.NAME, Set.of(), p -> new LogitMseTerm());
    }

    private LossRegistry() {
    }

    /**
     * Registers a response-based term (one that fits the {@link LossTerm} contract).
     *
     * @param name           the name used in configurations and in serialized models
     * @param parameterNames every parameter the factory may read; others are rejected by {@link #create}
     * @param factory        builds the term
     * @throws IllegalArgumentException if the name is already registered (terms are never silently replaced,
     *                                  because saved models refer to them by name)
     */
    public static void register(String name, Set<String> parameterNames, Factory factory) {
        if (FEATURE_TERMS.containsKey(name)) {
            throw new IllegalArgumentException("loss term '" + name + "' is already registered");
        }
        Entry entry = new Entry(Set.copyOf(parameterNames), factory);
        if (TERMS.putIfAbsent(name, entry) != null) {
            throw new IllegalArgumentException("loss term '" + name + "' is already registered");
        }
    }

    /** @return every registered term name, response- and feature-based, sorted */
    public static SortedSet<String> knownNames() {
        SortedSet<String> names = new TreeSet<>(TERMS.keySet());
        names.addAll(FEATURE_TERMS.keySet());
        return names;
    }

    /** @return true if {@code name} is a feature- or relation-based term ({@link #createFeature}) */
    public static boolean isFeatureTerm(String name) {
        return FEATURE_TERMS.containsKey(name);
    }

    /**
     * Builds a feature- or relation-based term.
     *
     * @param params {@code student-layer}, {@code teacher-layer} and the term's own numbers
     * @throws DistilleryException for an unknown name, unknown or missing parameters, or a bad value
     */
    public static FeatureTerm createFeature(String name, double weight, Map<String, ?> params) {
        Set<String> names = FEATURE_TERMS.get(name);
        if (names == null) {
            throw new DistilleryException("Loss term '" + name + "' is unknown; known terms are " + knownNames()
                    + ".");
        }
        Map<String, ?> given = params == null ? Map.of() : params;
        checkParameterNames(name, names, given);
        TermParams p = new TermParams(name, given);
        Map<String, Double> numbers = new java.util.TreeMap<>();
        if (name.equals(RkdLoss.NAME)) {
            numbers.put("distance", p.number("distance", RkdLoss.DEFAULT_DISTANCE));
            numbers.put("angle", p.number("angle", RkdLoss.DEFAULT_ANGLE));
            for (Map.Entry<String, Double> e : numbers.entrySet()) {
                if (!(e.getValue() >= 0) || e.getValue().isInfinite()) {
                    throw new DistilleryException("Loss term 'rkd' has a bad parameter: " + e.getKey() + " is "
                            + e.getValue() + "; it must be finite and >= 0.");
                }
            }
        }
        return new FeatureTerm(name, weight, p.string(STUDENT_LAYER), p.string(TEACHER_LAYER), numbers);
    }

    private static void checkParameterNames(String name, Set<String> known, Map<String, ?> given) {
        SortedSet<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new DistilleryException("Loss term '" + name + "' has unknown parameter"
                    + (unknown.size() == 1 ? " " : "s ") + unknown + "; its parameters are "
                    + new TreeSet<>(known) + ".");
        }
    }

    /**
     * Builds a term.
     *
     * @param name   a registered name, e.g. {@code "kd"}
     * @param params parameter values by name (numbers for the built-in terms); null means none
     * @return the term
     * @throws DistilleryException for an unknown name, unknown or missing parameters, or a bad value
     */
    public static LossTerm create(String name, Map<String, ?> params) {
        Entry entry = TERMS.get(name);
        if (entry == null && isFeatureTerm(name)) {
            throw new DistilleryException("Loss term '" + name + "' compares hidden layers, so it cannot be part "
                    + "of an output-layer loss; build it with LossRegistry.createFeature.");
        }
        if (entry == null) {
            throw new DistilleryException("Loss term '" + name + "' is unknown; known terms are " + knownNames()
                    + ".");
        }
        Map<String, ?> given = params == null ? Map.of() : params;
        checkParameterNames(name, entry.parameterNames(), given);
        try {
            return entry.factory().apply(new TermParams(name, given));
        } catch (IllegalArgumentException e) {
            throw new DistilleryException("Loss term '" + name + "' has a bad parameter: " + e.getMessage() + ".",
                    e);
        }
    }
}
