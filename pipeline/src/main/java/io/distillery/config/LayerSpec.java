package io.distillery.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;

/**
 * One hidden layer of a model declared in HOCON.
 *
 * @param type       {@code dense}, {@code conv} or {@code pool}
 * @param name       layer name (used for feature taps); defaults to {@code <type><index>}
 * @param units      dense units or conv filters (ignored for pool)
 * @param kernel     square kernel size for conv and pool
 * @param stride     stride for conv and pool
 * @param activation activation name as DL4J spells it ({@code relu}, {@code tanh}, {@code identity}, ...)
 * @param dropout    probability of dropping an input to this layer during training (0 = none). Note that DL4J's own
 *                   {@code dropOut(x)} takes the probability of <em>keeping</em>; the model factory converts.
 */
public record LayerSpec(String type, String name, int units, int kernel, int stride, String activation,
        double dropout) {

    /** Activations accepted in config (DL4J's names, lower case). */
    static final java.util.Set<String> ACTIVATIONS = java.util.Set.of("relu", "relu6", "leakyrelu", "elu", "selu",
            "gelu", "swish", "mish", "tanh", "hardtanh", "sigmoid", "hardsigmoid", "softplus", "softsign", "identity");

    static LayerSpec from(Config c, int index, String path, ConfigProblems problems) {
        try {
            return read(c, index, path, problems);
        } catch (ConfigException.WrongType e) {
            // Lightbend's message names only the field; say which layer, and show it.
            throw new DistilleryException("Layer " + path + "[" + index + "] = "
                    + c.root().render(ConfigRenderOptions.concise()) + " has a value of the wrong type: "
                    + e.getMessage().replaceFirst("^String: \\d+: ", "") + ".", e);
        }
    }

    private static LayerSpec read(Config c, int index, String path, ConfigProblems problems) {
        String type = c.hasPath("type") ? c.getString("type") : "dense";
        String name = c.hasPath("name") ? c.getString("name") : type + index;
        int units = c.hasPath("units") ? c.getInt("units") : 0;
        int kernel = c.hasPath("kernel") ? c.getInt("kernel") : 2;
        int stride = c.hasPath("stride") ? c.getInt("stride") : ("pool".equals(type) ? kernel : 1);
        String activation = c.hasPath("activation") ? c.getString("activation") : "relu";
        double dropout = c.hasPath("dropout") ? c.getDouble("dropout") : 0.0;
        String at = path + "[" + index + "]";
        problems.check(type.equals("dense") || type.equals("conv") || type.equals("pool"),
                "Layer " + at + " has type '" + type + "'; use dense, conv or pool.");
        problems.check(type.equals("pool") || units > 0,
                "Layer " + at + " has units = " + units + "; a " + type + " layer needs units > 0.");
        problems.check(kernel > 0 && stride > 0,
                "Layer " + at + " has kernel = " + kernel + " and stride = " + stride + "; both must be positive.");
        problems.check(ACTIVATIONS.contains(activation.toLowerCase(java.util.Locale.ROOT)),
                "Layer " + at + " has activation '" + activation + "'; use one of "
                        + new java.util.TreeSet<>(ACTIVATIONS) + ".");
        problems.check(dropout >= 0 && dropout < 1,
                "Layer " + at + " has dropout = " + dropout + "; it must be in [0, 1).");
        return new LayerSpec(type, name, units, kernel, stride, activation, dropout);
    }

    /** The same layer with {@code units} scaled by {@code widthFactor} (at least 1). */
    public LayerSpec widened(double widthFactor) {
        if (type.equals("pool")) {
            return this;
        }
        return new LayerSpec(type, name, Math.max(1, (int) Math.round(units * widthFactor)), kernel, stride,
                activation, dropout);
    }
}
