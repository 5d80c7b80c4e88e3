package io.distillery.model;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.loss.CompositeLoss;
import io.distillery.loss.DistillationLoss;
import io.distillery.loss.FeatureTerm;
import io.distillery.loss.HintLoss;
import io.distillery.loss.LossRegistry;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A student with exits, for self-distillation ("Be Your Own Teacher", Zhang et al. 2019): the student's layers as a
 * chain ending in its usual output (the deepest exit, cross-entropy on the label; its labels are
 * {@code [one-hot | anything]}, the second half unused), plus a small classifier head on
 * each named hidden layer ({@code exit-<layer>}, a softmax over the classes). Every exit learns the label; the
 * shallow exits also learn the deepest exit's prediction by KD ({@link DistillationLoss} on
 * {@code [one-hot | deepest logits]}, the deepest logits filled in per minibatch by
 * {@code io.distillery.train.SelfDistillationStep}, so the deepest exit teaches and is not taught).
 *
 * <p>Optionally each exit also has a feature hint (BYOT's feature loss): a learned dense regressor from the exit's
 * layer to the last hidden layer's shape and a {@code hint} loss against that layer's current activation
 * ({@code hint-<layer>}, after the classifier outputs; the activation filled in per minibatch by the step, like the
 * deepest prediction, and detached).
 *
 * <p>With a teacher store, every head's loss is {@link CompositeLoss#hinton}: the deepest exit's labels are
 * {@code [one-hot | teacher logits]}, a shallow exit's {@code [one-hot | deepest logits | teacher logits]}, whose kd
 * term is then the mean over its two teachers (the composite's loss per teacher).
 */
public final class ExitGraph {
    private static final String PREFIX = "exit-";
    private static final String HINT_PREFIX = "hint-";

    private ExitGraph() {
    }

    /** The output name of the exit on hidden layer {@code layer}. */
    public static String exitName(String layer) {
        return PREFIX + layer;
    }

    /** The layer every exit's feature hint learns: the student's last hidden layer, which feeds the deepest exit. */
    public static String hintTarget(ModelSpec spec) {
        return TrainingGraph.lastHidden(spec);
    }

    /** The output name of the feature hint on exit layer {@code layer}. */
    public static String hintName(String layer) {
        return HINT_PREFIX + layer;
    }

    /**
     * The classifier outputs in order: the deepest ({@code output}), then one per exit, shallow to deep as listed.
     * A graph with hints has these first, then {@link #hintName} of every exit in the same order.
     */
    public static List<String> outputs(List<String> exits) {
        List<String> out = new ArrayList<>(List.of(ModelSpec.OUTPUT_LAYER));
        exits.forEach(e -> out.add(exitName(e)));
        return out;
    }

    /**
     * @param exits       hidden layers of {@code spec} that get a head, each at most once, not the last one (its
     *                    head would be the deepest exit again)
     * @param temperature T of the shallow exits' KD term
     * @param alpha       weight of that term; the label's gets {@code 1 - alpha}
     * @throws DistilleryException naming the layer when an exit is not an inner hidden layer of the student
     */
    public static ComputationGraphConfiguration configuration(ModelSpec spec, int inputWidth,
                                                              List<Integer> inputShape, int numClasses,
                                                              List<String> exits, double temperature, double alpha,
                                                              long seed) {
        return configuration(spec, inputWidth, inputShape, numClasses, exits, temperature, alpha, false, 0.0, seed);
    }

    /**
     * As {@link #configuration(ModelSpec, int, List, int, List, double, double, long)}; with {@code withTeacher},
     * every head learns from a teacher store as well, and with {@code hintWeight > 0} every exit has a feature hint
     * of that weight (the class comment).
     */
    public static ComputationGraphConfiguration configuration(ModelSpec spec, int inputWidth,
                                                              List<Integer> inputShape, int numClasses,
                                                              List<String> exits, double temperature, double alpha,
                                                              boolean withTeacher, double hintWeight, long seed) {
        checkExits(spec, exits);
        ComputationGraphConfiguration.GraphBuilder g = TrainingGraph.studentChain(spec, seed);
        String previous = TrainingGraph.lastHidden(spec);
        // The deepest exit's cross-entropy through DistillationLoss at alpha = 0, not DL4J's MCXENT: with a softmax
        // MCXENT's gradient is p - y, which is right only when y sums to 1, and rows whose label is hidden have y = 0.
        g.addLayer(ModelSpec.OUTPUT_LAYER, head(withTeacher ? CompositeLoss.hinton(temperature, alpha)
                : new DistillationLoss(temperature, 0.0, numClasses), numClasses, spec), previous);
        for (String exit : exits) {
            g.addLayer(exitName(exit), head(withTeacher ? CompositeLoss.hinton(temperature, alpha)
                    : new DistillationLoss(temperature, alpha, numClasses), numClasses, spec), exit);
        }
        List<String> out = new ArrayList<>(outputs(exits));
        if (hintWeight > 0) {
            Map<String, int[]> shapes = TrainingGraph.layerShapes(ModelFactory.configuration(spec, inputWidth,
                    inputShape, numClasses, new DistillationLoss(temperature, 0.0, numClasses), seed), inputWidth,
                    inputShape);
            for (String exit : exits) {
                FeatureTerm hint = LossRegistry.createFeature(HintLoss.NAME, hintWeight,
                        Map.of("student-layer", exit, "teacher-layer", previous));
                TrainingGraph.addHead(g, hintName(exit), hint, shapes.get(exit), shapes.get(previous));
                out.add(hintName(exit));
            }
        }
        g.setOutputs(out.toArray(new String[0]));
        g.setInputTypes(ModelFactory.inputType(inputWidth, inputShape));
        return g.build();
    }

    private static OutputLayer head(org.nd4j.linalg.lossfunctions.ILossFunction loss, int numClasses,
                                    ModelSpec spec) {
        return ModelFactory.quantized(new OutputLayer.Builder(loss).nOut(numClasses).activation(Activation.SOFTMAX)
                .weightInit(WeightInit.XAVIER).build(), spec);
    }

    private static void checkExits(ModelSpec spec, List<String> exits) {
        List<String> hidden = spec.layers().stream().map(LayerSpec::name).toList();
        List<String> inner = hidden.isEmpty() ? List.of() : hidden.subList(0, hidden.size() - 1);
        Set<String> seen = new LinkedHashSet<>();
        for (String exit : exits) {
            if (!inner.contains(exit)) {
                throw new DistilleryException("Exit '" + exit + "' is not an inner hidden layer of the student; "
                        + "exits can sit on " + inner + " (the last hidden layer already feeds the deepest exit).");
            }
            if (!seen.add(exit)) {
                throw new DistilleryException("Exit '" + exit + "' is listed twice.");
            }
        }
        if (exits.isEmpty()) {
            throw new DistilleryException("Self-distillation needs at least one exit; the student's inner hidden "
                    + "layers are " + inner + ".");
        }
    }

    /**
     * The student up to one exit as a plain network: the hidden layers up to {@code exit}'s layer and that exit's
     * head as its output ({@code output}: the whole student). Inference with it stops at the exit, so a shallow exit
     * is cheaper to run; its predictions are the graph's at that exit.
     *
     * @param spec the student the graph was built from
     * @param loss the exported network's loss (only for further training; prediction does not use it)
     */
    public static MultiLayerNetwork upTo(ComputationGraph graph, String exit, ModelSpec spec, int inputWidth,
                                         List<Integer> inputShape, int numClasses,
                                         org.nd4j.linalg.lossfunctions.ILossFunction loss, long seed) {
        List<LayerSpec> kept = new ArrayList<>();
        String head = ModelSpec.OUTPUT_LAYER;
        for (LayerSpec l : spec.layers()) {
            kept.add(l);
            if (exit.equals(exitName(l.name()))) {
                head = exit;
                break;
            }
        }
        if (head.equals(ModelSpec.OUTPUT_LAYER) && !exit.equals(ModelSpec.OUTPUT_LAYER)) {
            throw new DistilleryException("The model has no exit '" + exit + "'; its exits are "
                    + graph.getConfiguration().getNetworkOutputs() + ".");
        }
        ModelSpec truncated = new ModelSpec(kept, spec.updater(), spec.learningRate(), spec.l2(), spec.deriveDepth(),
                spec.deriveWidth(), spec.quantize());
        MultiLayerNetwork net = ModelFactory.build(truncated, inputWidth, inputShape, numClasses, loss, seed);
        for (int i = 0; i < net.getnLayers(); i++) {
            String name = i == net.getnLayers() - 1 ? head : net.getLayer(i).conf().getLayer().getLayerName();
            if (net.getLayer(i).numParams() > 0) {
                net.getLayer(i).params().assign(graph.getLayer(name).params());
            }
        }
        return net;
    }

    /** A new, initialised graph of {@code conf} (cloned: a graph keeps its counters in its configuration). */
    public static ComputationGraph build(ComputationGraphConfiguration conf) {
        ComputationGraph graph = new ComputationGraph(conf.clone());
        graph.init();
        return graph;
    }

    /**
     * Class probabilities at one exit, in inference mode: {@code output} for the deepest, {@code exit-<layer>} for
     * a shallow one. Layers past a shallow exit are computed too (DL4J runs the whole graph); stopping early at
     * inference is the exported model's job.
     */
    public static INDArray predict(ComputationGraph graph, INDArray features, String output) {
        List<String> outputs = graph.getConfiguration().getNetworkOutputs();
        int at = outputs.indexOf(output);
        if (at < 0) {
            throw new DistilleryException("The model has no exit '" + output + "'; its exits are " + outputs + ".");
        }
        return graph.output(false, features)[at];
    }
}
