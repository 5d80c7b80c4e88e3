package io.distillery.train;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;

/**
 * Everything that moves between the driver and the workers in a round: flat parameters, flat updater state (Adam's
 * moments, so that averaging keeps the optimiser consistent) and the iteration count (Adam's bias correction).
 * Plain float arrays, so it broadcasts without ND4J's Kryo registrations. A class, not a record: Spark's Kryo
 * cannot serialize records.
 *
 * <p>Works for a {@link MultiLayerNetwork} (every plain run) and for a {@link ComputationGraph} (the training graph
 * of a run with feature terms, {@code io.distillery.model.TrainingGraph}): both keep their parameters and their
 * updater state in one flat view each; only where the iteration count lives differs.
 */
public final class ModelState implements Serializable {
    private static final long serialVersionUID = 1L;

    private final float[] params;
    private final float[] updater;
    private final int iteration;

    public ModelState(float[] params, float[] updater, int iteration) {
        this.params = params;
        this.updater = updater;
        this.iteration = iteration;
    }

    /** A copy of the network's current state. */
    public static ModelState of(Model model) {
        INDArray u = updaterView(model);
        return new ModelState(model.params().dup().data().asFloat(),
                u == null ? new float[0] : u.dup().data().asFloat(), iteration(model));
    }

    public float[] params() {
        return params;
    }

    public float[] updater() {
        return updater;
    }

    public int iteration() {
        return iteration;
    }

    /** Overwrites the network's parameters, updater state and iteration count with this state. */
    public void applyTo(Model model) {
        model.setParams(Nd4j.create(params, new long[]{1, params.length}, 'c').castTo(model.params().dataType()));
        if (updater.length > 0) {
            INDArray view = updaterView(model);
            view.assign(Nd4j.create(updater, new long[]{1, updater.length}, 'c').castTo(view.dataType()));
        }
        if (model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(iteration);
        } else {
            ((MultiLayerNetwork) model).setIterationCount(iteration);
        }
    }

    private static INDArray updaterView(Model model) {
        if (model instanceof ComputationGraph g) {
            return g.getUpdater() == null ? null : g.getUpdater().getStateViewArray();
        }
        MultiLayerNetwork net = (MultiLayerNetwork) model;
        return net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
    }

    static int iteration(Model model) {
        return model instanceof ComputationGraph g ? g.getIterationCount()
                : ((MultiLayerNetwork) model).getIterationCount();
    }
}
