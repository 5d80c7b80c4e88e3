package io.distillery.model;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.loss.FeatureTerm;
import io.distillery.loss.Objective;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The network a student is <em>trained</em> as when its objective has feature- or relation-based terms: a DL4J
 * {@link ComputationGraph} holding the student's layers under their own names, the {@code output} layer with the
 * response-based loss (labels {@code [one-hot | teacher logits]}, as for a plain student), and one auxiliary head per
 * {@link FeatureTerm}, fed from the named student layer and labelled with the teacher's tap of the same rows:
 * <ul>
 *   <li>{@code hint}: a learned regressor (identity activation) to the teacher tap's size, then a {@code LossLayer}
 *       with {@link io.distillery.loss.HintLoss}. Between two convolutional layers of the same spatial size the
 *       regressor is a 1x1 convolution to the teacher's channels (FitNets' convolutional regressor, with few
 *       parameters); otherwise a dense layer on the flattened student layer.</li>
 *   <li>{@code attention}, {@code similarity}, {@code rkd}: a parameter-free {@code LossLayer} whose loss compares
 *       the student layer with the tap directly.</li>
 * </ul>
 * Outputs are {@code output} then the heads in term order ({@link #outputs}); each head is named
 * {@code aux<k>-<term>} ({@code aux<k>-hint-regressor} for a regressor).
 *
 * <p>Why a graph and not a custom training loop: every head is an ordinary DL4J output with its own loss and labels,
 * so {@code ComputationGraph.fit(MultiDataSet)} back-propagates all terms into the shared student layers and the
 * parameter-averaged trainer needs nothing but a network with flat parameters and updater state. The heads carry no
 * information the exported student needs: {@link #export} copies the student's layers by name into the plain
 * {@link MultiLayerNetwork} that {@link ModelFactory} builds for the same spec, so everything downstream
 * ({@code evaluate}, artifacts, provenance) is unchanged.
 */
public final class TrainingGraph {
    /** Name of the graph's input vertex. */
    public static final String INPUT = "input";

    private TrainingGraph() {
    }

    /**
     * Output shapes of the layers of a network configuration, by layer name: {@code [width]} or
     * {@code [channels, height, width]}.
     */
    public static Map<String, int[]> layerShapes(MultiLayerConfiguration conf, int inputWidth,
                                                 List<Integer> inputShape) {
        List<InputType> types = conf.getLayerActivationTypes(ModelFactory.inputType(inputWidth, inputShape));
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (int i = 0; i < types.size(); i++) {
            shapes.put(conf.getConf(i).getLayer().getLayerName(), shape(types.get(i)));
        }
        return shapes;
    }

    static int[] shape(InputType t) {
        if (t instanceof InputType.InputTypeConvolutional c) {
            return new int[] {(int) c.getChannels(), (int) c.getHeight(), (int) c.getWidth()};
        }
        return new int[] {(int) t.arrayElementsPerExample()};
    }

    static int width(int[] shape) {
        int w = 1;
        for (int s : shape) {
            w *= s;
        }
        return w;
    }

    /** Name of the head of term {@code k}. */
    public static String headName(int k, FeatureTerm term) {
        return "aux" + k + "-" + term.name();
    }

    /** The graph's outputs in order: {@code output}, then one head per feature term. */
    public static List<String> outputs(Objective objective) {
        List<String> out = new ArrayList<>(List.of(ModelSpec.OUTPUT_LAYER));
        for (int k = 0; k < objective.features().size(); k++) {
            out.add(headName(k, objective.features().get(k)));
        }
        return out;
    }

    /**
     * The training graph's configuration.
     *
     * @param teacherShapes shape of every tapped teacher layer, by name
     * @throws DistilleryException naming the key and value when a term names a layer the student does not have,
     *                             a teacher layer that is not tapped, or shapes the term cannot compare
     */
    public static ComputationGraphConfiguration configuration(ModelSpec spec, int inputWidth,
                                                              List<Integer> inputShape, int numClasses,
                                                              Objective objective, Map<String, int[]> teacherShapes,
                                                              long seed) {
        MultiLayerConfiguration plain = ModelFactory.configuration(spec, inputWidth, inputShape, numClasses,
                objective.response(), seed);
        Map<String, int[]> studentShapes = layerShapes(plain, inputWidth, inputShape);
        studentShapes.remove(ModelSpec.OUTPUT_LAYER);

        ComputationGraphConfiguration.GraphBuilder g = studentChain(spec, seed);
        String previous = lastHidden(spec);
        g.addLayer(ModelSpec.OUTPUT_LAYER, ModelFactory.quantized(new OutputLayer.Builder(objective.response())
                .nOut(numClasses)
                .activation(Activation.SOFTMAX)
                .weightInit(WeightInit.XAVIER)
                .build(), spec), previous);

        for (int k = 0; k < objective.features().size(); k++) {
            FeatureTerm term = objective.features().get(k);
            String at = "distillery.distill.loss term '" + term.name() + "'";
            int[] student = studentShapes.get(term.studentLayer());
            if (student == null) {
                throw new DistilleryException("Key student-layer of " + at + " is '" + term.studentLayer()
                        + "', which is not a hidden layer of the student; its hidden layers are "
                        + studentShapes.keySet() + ".");
            }
            int[] teacher = teacherShapes.get(term.teacherLayer());
            if (teacher == null) {
                throw new DistilleryException("Key teacher-layer of " + at + " is '" + term.teacherLayer()
                        + "', which the soft-target store does not hold; its taps are " + teacherShapes.keySet()
                        + " (distillery.soft-targets.taps).");
            }
            addHead(g, headName(k, term), term, student, teacher);
        }
        g.setOutputs(outputs(objective).toArray(new String[0]));
        g.setInputTypes(ModelFactory.inputType(inputWidth, inputShape));
        return g.build();
    }

    /**
     * Adds the auxiliary head {@code head} of one feature term to {@code g}: a learned regressor from the student
     * layer to the target's shape where the term needs one (a 1x1 convolution between feature maps of the same
     * spatial size, else a dense layer to the target's flattened width), then a loss layer comparing it with the
     * target, which the head's labels carry.
     *
     * @param student the student layer's activation shape
     * @param target  the target's shape (a teacher tap, or another layer of the same model)
     */
    public static void addHead(ComputationGraphConfiguration.GraphBuilder g, String head, FeatureTerm term,
                               int[] student, int[] target) {
        String source = term.studentLayer();
        int[] compared = student;
        if (term.needsRegressor()) {
            String regressor = head + "-regressor";
            boolean convolutional = student.length == 3 && target.length == 3
                    && student[1] == target[1] && student[2] == target[2];
            org.deeplearning4j.nn.conf.layers.Layer r = convolutional
                    ? new ConvolutionLayer.Builder(1, 1).nOut(target[0]).activation(Activation.IDENTITY)
                            .weightInit(WeightInit.XAVIER).build()
                    : new DenseLayer.Builder().nOut(width(target)).activation(Activation.IDENTITY)
                            .weightInit(WeightInit.XAVIER).build();
            g.addLayer(regressor, r, source);
            source = regressor;
            compared = target;
        }
        g.addLayer(head, new LossLayer.Builder(term.lossFunction(compared, target))
                .activation(Activation.IDENTITY).build(), source);
    }

    /**
     * A graph builder holding the student's hidden layers as a chain from {@link #INPUT}, with the student's
     * optimiser, initialisation and seed (those of {@link ModelFactory}); the caller adds the outputs.
     */
    static ComputationGraphConfiguration.GraphBuilder studentChain(ModelSpec spec, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(ModelFactory.updater(spec))
                .weightInit(WeightInit.RELU)
                .l2(spec.l2())
                .graphBuilder()
                .addInputs(INPUT);
        String previous = INPUT;
        for (LayerSpec l : spec.layers()) {
            g.addLayer(l.name(), ModelFactory.hiddenLayer(l, spec), previous);
            previous = l.name();
        }
        return g;
    }

    /** The vertex the student's output reads: its last hidden layer, or the input when it has none. */
    static String lastHidden(ModelSpec spec) {
        return spec.layers().isEmpty() ? INPUT : spec.layers().get(spec.layers().size() - 1).name();
    }

    /**
     * A new, initialised training graph whose student layers start from {@code start}'s parameters (so a run with
     * feature terms starts from exactly the student a plain run with the same seed starts from). The configuration is
     * cloned: a graph keeps its iteration and epoch counts in it, so two graphs must never share one.
     */
    public static ComputationGraph build(ComputationGraphConfiguration conf, MultiLayerNetwork start) {
        ComputationGraph graph = new ComputationGraph(conf.clone());
        graph.init();
        copyLayers(start, graph, false);
        return graph;
    }

    /**
     * The exported student: {@code template} (the plain network {@link ModelFactory} builds for the spec) with the
     * graph's student layers copied in by name; regressors and heads are dropped.
     *
     * @return {@code template}, now holding the trained parameters
     */
    public static MultiLayerNetwork export(ComputationGraph graph, MultiLayerNetwork template) {
        copyLayers(graph, template, true);
        return template;
    }

    /**
     * Copies every parameterised layer of the network {@code to} from the layer of the same name in {@code from};
     * layers {@code from} does not have (regressors) are left alone unless {@code requireAll}.
     */
    static void copyLayers(Model from, Model to, boolean requireAll) {
        for (Layer target : layers(to)) {
            if (target.numParams() == 0) {
                continue;
            }
            String name = target.conf().getLayer().getLayerName();
            Layer source = from instanceof ComputationGraph g ? g.getLayer(name)
                    : ((MultiLayerNetwork) from).getLayer(name);
            if (source == null && !requireAll) {
                continue;
            }
            if (source == null || source.numParams() != target.numParams()) {
                throw new IllegalStateException("layer " + name + " does not match between the networks");
            }
            target.params().assign(source.params());
        }
    }

    private static Layer[] layers(Model m) {
        return m instanceof ComputationGraph g ? g.getLayers() : ((MultiLayerNetwork) m).getLayers();
    }
}
