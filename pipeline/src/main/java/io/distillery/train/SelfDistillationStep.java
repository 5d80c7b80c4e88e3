package io.distillery.train;

import io.distillery.config.ModelSpec;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Map;

/**
 * The executor side of self-distillation on an {@link io.distillery.model.ExitGraph}: before fitting a minibatch,
 * run the model as it is on the same features and give every shallow exit the deepest exit's prediction as its
 * teacher ({@code [one-hot | log p_deepest]}; a softmax is shift-invariant, so log-probabilities stand in for the
 * logits). The deepest prediction is a constant of the step, as in Zhang et al.'s code (detached): the deepest exit
 * learns from the labels only.
 *
 * <p>The packed labels are the one-hot label (zeros for a row whose label is hidden) for every output; with a teacher
 * store, {@code [one-hot | teacher logits]}, and a shallow exit's become {@code [one-hot | log p_deepest | teacher
 * logits]} (two teachers, {@link io.distillery.model.ExitGraph}).
 */
public final class SelfDistillationStep implements RoundStep {
    private static final long serialVersionUID = 1L;
    private static final double FLOOR = 1e-30;

    private final boolean teacherStore;
    private final int classifiers;
    private final String hintTarget;

    /**
     * @param teacherStore whether the packed labels carry a stored teacher's logits after the one-hot part
     * @param classifiers  the number of classifier outputs (the deepest and one per exit); the graph's outputs after
     *                     them are feature hints
     * @param hintTarget   the layer whose activation the hints learn (the last hidden layer); null without hints
     */
    public SelfDistillationStep(boolean teacherStore, int classifiers, String hintTarget) {
        this.teacherStore = teacherStore;
        this.classifiers = classifiers;
        this.hintTarget = hintTarget;
    }

    @Override
    public double fit(TrainedModel model, Network net, MultiDataSet batch, WorkerRound worker) {
        return net.fit(taught(net, batch, teacherStore, classifiers, hintTarget));
    }

    /**
     * {@code batch} with the labels every output learns: the deepest exit's as packed (with alpha 0 and no store, its
     * second half only makes them 2C wide); a shallow exit's with the deepest exit's current log-probabilities
     * after the one-hot part (before the stored teacher's logits, with a store); a hint's the current activation of
     * {@code hintTarget}, flattened.
     */
    static MultiDataSet taught(Network net, MultiDataSet batch, boolean teacherStore, int classifiers,
                               String hintTarget) {
        INDArray features = batch.getFeatures(0);
        ComputationGraph graph = (ComputationGraph) net.model();
        Map<String, INDArray> activations = graph.feedForward(features, false);
        INDArray deepest = activations.get(ModelSpec.OUTPUT_LAYER);
        INDArray[] labels = new INDArray[batch.getLabels().length];
        for (int k = 0; k < labels.length; k++) {
            INDArray packed = batch.getLabels(k);
            if (k >= classifiers) {
                INDArray target = activations.get(hintTarget);
                labels[k] = target.reshape(target.size(0), target.length() / target.size(0)).castTo(packed.dataType());
                continue;
            }
            long c = teacherStore ? packed.size(1) / 2 : packed.size(1);
            INDArray hard = packed.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c));
            if (k == 0) {
                labels[k] = teacherStore ? packed : Nd4j.hstack(hard, Nd4j.zeros(packed.dataType(), packed.size(0), c));
                continue;
            }
            INDArray logP = Transforms.log(Transforms.max(deepest.castTo(packed.dataType()), FLOOR, true), false);
            labels[k] = teacherStore
                    ? Nd4j.hstack(hard, logP, packed.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c)))
                    : Nd4j.hstack(hard, logP);
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{features}, labels);
    }

    /** {@link #taught} for a graph without hints or store: each shallow exit learns the deepest's prediction. */
    static MultiDataSet withTeacher(Network net, MultiDataSet batch) {
        return taught(net, batch, false, batch.getLabels().length, null);
    }

    /** {@link #taught} for a graph without hints, the packed labels {@code [one-hot | teacher logits]}. */
    static MultiDataSet withStoredTeacher(Network net, MultiDataSet batch) {
        return taught(net, batch, true, batch.getLabels().length, null);
    }
}
