package io.distillery.loss;

import io.distillery.config.DistilleryException;

import java.util.Map;

/**
 * The parameters given for one term, as read by a {@link LossRegistry.Factory}: typed access with messages that
 * name the term and the parameter.
 */
public final class TermParams {

    private final String term;
    private final Map<String, ?> values;

    TermParams(String term, Map<String, ?> values) {
        this.term = term;
        this.values = values;
    }

    /**
     * @param name a parameter name
     * @return its value as a double
     * @throws DistilleryException if it is missing or not a number
     */
    public double number(String name) {
        if (!values.containsKey(name)) {
            throw new DistilleryException("Loss term '" + term + "' needs parameter '" + name + "'.");
        }
        return toNumber(name, values.get(name));
    }

    /**
     * @param name         a parameter name
     * @param defaultValue the value when the parameter is absent
     * @return its value as a double
     * @throws DistilleryException if it is present but not a number
     */
    public double number(String name, double defaultValue) {
        return values.containsKey(name) ? toNumber(name, values.get(name)) : defaultValue;
    }

    /**
     * @param name a parameter name
     * @return its value as a non-empty string
     * @throws DistilleryException if it is missing or not a string
     */
    public String string(String name) {
        Object value = values.get(name);
        if (value == null) {
            throw new DistilleryException("Loss term '" + term + "' needs parameter '" + name + "'.");
        }
        if (!(value instanceof String s) || s.isBlank()) {
            throw new DistilleryException("Parameter '" + name + "' of loss term '" + term + "' is " + value
                    + "; it must be a layer name.");
        }
        return s;
    }

    private double toNumber(String name, Object value) {
        // Configuration files and JSON give Integer, Long or Double; all are accepted.
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        throw new DistilleryException("Parameter '" + name + "' of loss term '" + term + "' is " + value
                + "; it must be a number.");
    }
}
