package io.distillery.loss;

import io.distillery.config.DistilleryException;

import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Response-based {@link LossTerm}s by name: {@code kd}, {@code ce}, {@code dkd}, {@code logit-mse}, plus any
 * registered with {@link #register}.
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
        Entry entry = new Entry(Set.copyOf(parameterNames), factory);
        if (TERMS.putIfAbsent(name, entry) != null) {
            throw new IllegalArgumentException("loss term '" + name + "' is already registered");
        }
    }

    /** @return the registered term names, sorted */
    public static SortedSet<String> knownNames() {
        return new TreeSet<>(TERMS.keySet());
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
        if (entry == null) {
            throw new DistilleryException("Loss term '" + name + "' is unknown; known terms are " + knownNames()
                    + ".");
        }
        Map<String, ?> given = params == null ? Map.of() : params;
        SortedSet<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(entry.parameterNames());
        if (!unknown.isEmpty()) {
            throw new DistilleryException("Loss term '" + name + "' has unknown parameter"
                    + (unknown.size() == 1 ? " " : "s ") + unknown + "; its parameters are "
                    + new TreeSet<>(entry.parameterNames()) + ".");
        }
        try {
            return entry.factory().apply(new TermParams(name, given));
        } catch (IllegalArgumentException e) {
            throw new DistilleryException("Loss term '" + name + "' has a bad parameter: " + e.getMessage() + ".",
                    e);
        }
    }
}
