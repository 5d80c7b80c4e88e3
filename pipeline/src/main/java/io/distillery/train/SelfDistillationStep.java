package io.distillery.train;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

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

    /** @param teacherStore whether the packed labels carry a stored teacher's logits after the one-hot part */
    public SelfDistillationStep(boolean teacherStore) {
        this.teacherStore = teacherStore;
    }

    @Override
    public double fit(TrainedModel model, Network net, MultiDataSet batch, WorkerRound worker) {
        return net.fit(teacherStore ? withStoredTeacher(net, batch) : withTeacher(net, batch));
    }

    /**
     * {@code batch} (labels {@code [one-hot | teacher logits]} for every output) with the deepest exit's current
     * log-probabilities inserted before the teacher's logits in each shallow exit's labels.
     */
    static MultiDataSet withStoredTeacher(Network net, MultiDataSet batch) {
        INDArray features = batch.getFeatures(0);
        INDArray deepest = ((ComputationGraph) net.model()).output(false, features)[0];
        INDArray[] labels = new INDArray[batch.getLabels().length];
        for (int k = 0; k < labels.length; k++) {
            INDArray packed = batch.getLabels(k);
            if (k == 0) {
                labels[k] = packed;
                continue;
            }
            long c = packed.size(1) / 2;
            INDArray logP = Transforms.log(Transforms.max(deepest.castTo(packed.dataType()), FLOOR, true), false);
            labels[k] = Nd4j.hstack(packed.get(NDArrayIndex.all(), NDArrayIndex.interval(0, c)), logP,
                    packed.get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c)));
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{features}, labels);
    }

    /** {@code batch} with each shallow exit's labels extended by the deepest exit's current log-probabilities. */
    static MultiDataSet withTeacher(Network net, MultiDataSet batch) {
        INDArray features = batch.getFeatures(0);
        ComputationGraph graph = (ComputationGraph) net.model();
        INDArray deepest = graph.output(false, features)[0];
        INDArray[] labels = new INDArray[batch.getLabels().length];
        for (int k = 0; k < labels.length; k++) {
            INDArray hard = batch.getLabels(k);
            // The deepest exit's loss has alpha = 0: the second half is only there to make its labels 2C wide.
            INDArray teacher = k == 0 ? Nd4j.zeros(hard.dataType(), hard.size(0), hard.size(1))
                    : Transforms.log(Transforms.max(deepest.castTo(hard.dataType()), FLOOR, true), false);
            labels[k] = Nd4j.hstack(hard, teacher);
        }
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{features}, labels);
    }
}
