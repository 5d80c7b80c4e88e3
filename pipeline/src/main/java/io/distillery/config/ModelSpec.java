package io.distillery.config;

import com.typesafe.config.Config;

import java.util.ArrayList;
import java.util.List;

/**
 * A model architecture: hidden layers, then a dense softmax output layer named {@code output} with one unit per class.
 *
 * @param layers       hidden layers in order
 * @param updater      {@code adam}, {@code sgd} or {@code nesterovs}
 * @param learningRate learning rate of the updater
 * @param l2           L2 weight decay (0 = none)
 * @param deriveDepth  when the model is derived from the teacher: the fraction of the teacher's weight layers kept
 * @param deriveWidth  when derived: the factor applied to every kept layer's units
 * @param quantize     {@code none}, or {@code int8}: train with fake-quantised int8 weights (per output channel,
 *                     straight-through gradients) and export them as int8
 */
public record ModelSpec(List<LayerSpec> layers, String updater, double learningRate, double l2,
                        double deriveDepth, double deriveWidth, String quantize) {

    /** Name of the output layer of every model; its pre-activations are the logits. */
    public static final String OUTPUT_LAYER = "output";
    /** The {@code quantize} value of a float32 model. */
    public static final String NO_QUANTIZATION = "none";
    /** The {@code quantize} value of a model trained with fake int8 weights. */
    public static final String INT8 = "int8";

    /** A float32 model ({@code quantize = none}). */
    public ModelSpec(List<LayerSpec> layers, String updater, double learningRate, double l2, double deriveDepth,
                     double deriveWidth) {
        this(layers, updater, learningRate, l2, deriveDepth, deriveWidth, NO_QUANTIZATION);
    }

    static ModelSpec from(Config c, String path, ConfigProblems problems) {
        List<LayerSpec> layers = new ArrayList<>();
        List<? extends Config> raw = c.hasPath("layers") ? c.getConfigList("layers") : List.of();
        for (int i = 0; i < raw.size(); i++) {
            layers.add(LayerSpec.from(raw.get(i), i, path + ".layers", problems));
        }
        String updater = c.getString("updater");
        double lr = c.getDouble("learning-rate");
        double l2 = c.getDouble("l2");
        double depth = c.hasPath("derive-from-teacher.depth") ? c.getDouble("derive-from-teacher.depth") : 0;
        double width = c.hasPath("derive-from-teacher.width") ? c.getDouble("derive-from-teacher.width") : 0;
        String quantize = c.hasPath("quantize") ? c.getString("quantize") : NO_QUANTIZATION;
        problems.check(List.of("adam", "sgd", "nesterovs").contains(updater),
                "Key " + path + ".updater is '" + updater + "'; use adam, sgd or nesterovs.");
        problems.check(quantize.equals(NO_QUANTIZATION) || quantize.equals(INT8),
                "Key " + path + ".quantize is '" + quantize + "'; use none or int8.");
        problems.check(lr > 0, "Key " + path + ".learning-rate is " + lr + "; it must be positive.");
        problems.check(l2 >= 0, "Key " + path + ".l2 is " + l2 + "; it must not be negative.");
        problems.check(depth >= 0 && depth <= 1 && width >= 0,
                "Key " + path + ".derive-from-teacher has depth = " + depth + " and width = " + width
                        + "; depth must be in (0, 1] and width positive.");
        for (LayerSpec l : layers) {
            problems.check(!l.name().equals(OUTPUT_LAYER),
                    "Layer name '" + OUTPUT_LAYER + "' in " + path + ".layers is reserved for the output layer.");
        }
        return new ModelSpec(List.copyOf(layers), updater, lr, l2, depth, width, quantize);
    }

    /** True when the model trains with fake-quantised int8 weights. */
    public boolean int8() {
        return INT8.equals(quantize);
    }

    /** True when this spec declares no layers of its own and asks to be derived from the teacher. */
    public boolean derivedFromTeacher() {
        return layers.isEmpty() && deriveDepth > 0 && deriveWidth > 0;
    }

    /**
     * The student derived from {@code teacher}: the first {@code ceil(depth * n)} of the teacher's n weight layers
     * (with the pooling layers between them), each with its units scaled by {@code width}.
     */
    public ModelSpec deriveFrom(ModelSpec teacher) {
        long weightLayers = teacher.layers.stream().filter(l -> !l.type().equals("pool")).count();
        long keep = Math.max(1, (long) Math.ceil(deriveDepth * weightLayers));
        List<LayerSpec> derived = new ArrayList<>();
        long kept = 0;
        for (LayerSpec l : teacher.layers) {
            if (!l.type().equals("pool")) {
                if (kept == keep) {
                    break;
                }
                kept++;
            }
            derived.add(l.widened(deriveWidth));
        }
        return new ModelSpec(List.copyOf(derived), updater, learningRate, l2, 0, 0, quantize);
    }
}
