package io.distillery.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.Serializable;

/**
 * One view of a DL4J network, whether it is a {@link MultiLayerNetwork} (every plain model) or a
 * {@link ComputationGraph} (a student's training graph with auxiliary heads): flat parameters, flat updater state,
 * the iteration and epoch counters, fitting one minibatch and predicting logits. Everything above this class (the
 * round loop, the executor steps, checkpoints, evaluation) asks it instead of switching on the network type.
 */
public final class Network {
    private final Model model;

    private Network(Model model) {
        this.model = model;
    }

    /** Wraps a {@code MultiLayerNetwork} or a {@code ComputationGraph}. */
    public static Network of(Model model) {
        if (!(model instanceof MultiLayerNetwork) && !(model instanceof ComputationGraph)) {
            throw new IllegalArgumentException("not a MultiLayerNetwork or ComputationGraph: " + model.getClass());
        }
        return new Network(model);
    }

    /** The network's architecture, enough to rebuild it anywhere (on an executor, after a restart). */
    public Blueprint blueprint() {
        return model instanceof ComputationGraph g ? new Blueprint(g.getConfiguration().toJson(), true)
                : new Blueprint(((MultiLayerNetwork) model).getLayerWiseConfigurations().toJson(), false);
    }

    /** The wrapped DL4J model. */
    public Model model() {
        return model;
    }

    /** The wrapped model as a {@code MultiLayerNetwork}; fails for a graph. */
    public MultiLayerNetwork asMultiLayer() {
        if (!(model instanceof MultiLayerNetwork net)) {
            throw new IllegalStateException("this network is a ComputationGraph, not a MultiLayerNetwork");
        }
        return net;
    }

    /** Whether the wrapped model is a {@code ComputationGraph}. */
    public boolean isGraph() {
        return model instanceof ComputationGraph;
    }

    public long numParams() {
        return model.numParams();
    }

    /** The flat parameter view (a live view: writing it changes the network). */
    public INDArray params() {
        return model.params();
    }

    /** The flat updater state view (Adam's moments), or null before the first fit of a network without one. */
    public INDArray updaterState() {
        if (model instanceof ComputationGraph g) {
            return g.getUpdater() == null ? null : g.getUpdater().getStateViewArray();
        }
        MultiLayerNetwork net = (MultiLayerNetwork) model;
        return net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
    }

    public int iteration() {
        return model instanceof ComputationGraph g ? g.getIterationCount()
                : ((MultiLayerNetwork) model).getIterationCount();
    }

    public void setIteration(int iteration) {
        if (model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(iteration);
        } else {
            ((MultiLayerNetwork) model).setIterationCount(iteration);
        }
    }

    public int epoch() {
        return model instanceof ComputationGraph g ? g.getConfiguration().getEpochCount()
                : ((MultiLayerNetwork) model).getEpochCount();
    }

    public void setEpoch(int epoch) {
        if (model instanceof ComputationGraph g) {
            g.getConfiguration().setEpochCount(epoch);
        } else {
            ((MultiLayerNetwork) model).setEpochCount(epoch);
        }
    }

    /**
     * Fits one minibatch. A plain network reads the first feature and label arrays; a graph one label array per
     * output, in output order.
     *
     * @return the minibatch's score after the update (DL4J's {@code score()})
     */
    public double fit(MultiDataSet batch) {
        if (model instanceof ComputationGraph g) {
            g.fit(batch);
        } else {
            ((MultiLayerNetwork) model).fit(new DataSet(batch.getFeatures(0), batch.getLabels(0)));
        }
        return model.score();
    }

    /** The first output's activations (class probabilities for a softmax output) in inference mode. */
    public INDArray output(INDArray features) {
        return outputs(features)[0];
    }

    /** Every output's activations, in output order (one for a plain network), in inference mode. */
    public INDArray[] outputs(INDArray features) {
        if (model instanceof ComputationGraph g) {
            return g.output(false, features);
        }
        return new INDArray[]{((MultiLayerNetwork) model).output(features, false)};
    }

    /**
     * How to build a network of some architecture: its DL4J configuration JSON and whether that is a graph.
     * Small and serializable, so it travels in a task closure where a network could not.
     *
     * @param json  {@code MultiLayerConfiguration} or {@code ComputationGraphConfiguration} JSON
     * @param graph which of the two {@code json} is
     */
    public record Blueprint(String json, boolean graph) implements Serializable {
        /** A new, initialised network of this architecture (its parameters are overwritten before use). */
        public Network build() {
            if (graph) {
                ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
                g.init();
                return new Network(g);
            }
            MultiLayerNetwork m = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
            m.init();
            return new Network(m);
        }
    }
}
