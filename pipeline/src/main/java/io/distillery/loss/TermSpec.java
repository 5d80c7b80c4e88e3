package io.distillery.loss;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One weighted term of a {@link CompositeLoss} in serializable form: the registry name, the weight and the
 * parameters. This, not the {@link LossTerm} object, is what goes into a model's JSON configuration, so terms need
 * no polymorphic serialization of their own; {@link LossRegistry} turns the spec back into a term.
 */
public final class TermSpec implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final double weight;
    private final Map<String, Object> params;

    /**
     * @param name   registry name of the term
     * @param weight its weight in the sum
     * @param params its parameters (copied; null means none)
     */
    @JsonCreator
    public TermSpec(@JsonProperty("name") String name, @JsonProperty("weight") double weight,
                    @JsonProperty("params") Map<String, ?> params) {
        this.name = Objects.requireNonNull(name, "name");
        this.weight = weight;
        // Sorted, so the JSON and toString are stable.
        this.params = Collections.unmodifiableMap(params == null ? new TreeMap<>() : new TreeMap<>(params));
    }

    /** @return the registry name */
    public String getName() {
        return name;
    }

    /** @return the weight */
    public double getWeight() {
        return weight;
    }

    /** @return the parameters, sorted by name, unmodifiable */
    public Map<String, Object> getParams() {
        return params;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TermSpec other && name.equals(other.name)
                && Double.compare(weight, other.weight) == 0 && params.equals(other.params);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, weight, params);
    }

    @Override
    public String toString() {
        return weight + " * " + name + params;
    }
}
