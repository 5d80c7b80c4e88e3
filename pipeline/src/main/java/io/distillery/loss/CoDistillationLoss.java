package io.distillery.loss;

import io.distillery.config.DistilleryException;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The objective of one model in co-distillation or mutual learning: its own weighted terms (the hard-label
 * {@code ce}, and optionally a fixed teacher's {@code kd} from the store) plus a peer term towards the other
 * models' predictions, weighted per row.
 *
 * <p>Labels, for C classes: {@code [one-hot y (C) | teacher logits (C), only with a teacher | peer target (C) |
 * peer weight (1)]}. The executor step writes the last two per minibatch from the peers' frozen snapshots: the
 * target is a logit vector whose tempered softmax is the peers' mean tempered prediction (for {@code kd}) or the
 * peers' mean logits (for {@code logit-mse}); the weight is 0 during burn-in and before the first exchange, which
 * turns the peer term off without changing the network's configuration.
 *
 * <p>Per row: {@code own(y, teacher) + w * peer(peer target)}; {@code own} and {@code peer} are {@link
 * CompositeLoss}es over {@code [y | t]} labels, so every response term works unchanged in either role.
 */
public class CoDistillationLoss extends PerExampleLoss {
    private static final long serialVersionUID = 1L;

    private final List<TermSpec> own;
    private final List<TermSpec> peer;
    private final int classes;
    private final boolean teacher;
    @JsonIgnore
    private final transient CompositeLoss ownLoss;
    @JsonIgnore
    private final transient CompositeLoss peerLoss;

    /**
     * @param own     terms on {@code [y | teacher logits]} (with a teacher) or on {@code [y | peer target]}
     *                (without one, when they must not read t)
     * @param peer    terms on {@code [y | peer target]}, scaled by the row's peer weight
     * @param classes C
     * @param teacher whether the labels carry a teacher range
     */
    @JsonCreator
    public CoDistillationLoss(@JsonProperty("own") List<TermSpec> own, @JsonProperty("peer") List<TermSpec> peer,
                              @JsonProperty("classes") int classes, @JsonProperty("teacher") boolean teacher) {
        if (classes < 1) {
            throw new DistilleryException("A co-distillation loss needs at least one class, got " + classes + ".");
        }
        this.ownLoss = new CompositeLoss(own);
        this.peerLoss = new CompositeLoss(peer);
        this.own = ownLoss.getTerms();
        this.peer = peerLoss.getTerms();
        this.classes = classes;
        this.teacher = teacher;
    }

    /** Label columns this loss reads for {@code classes} classes. */
    public static int labelWidth(int classes, boolean teacher) {
        return (teacher ? 3 : 2) * classes + 1;
    }

    @JsonProperty("own")
    public List<TermSpec> getOwn() {
        return own;
    }

    @JsonProperty("peer")
    public List<TermSpec> getPeer() {
        return peer;
    }

    @JsonProperty("classes")
    public int getClasses() {
        return classes;
    }

    @JsonProperty("teacher")
    public boolean isTeacher() {
        return teacher;
    }

    /** @return e.g. {@code ce + w * kd(T=1) [peers]} */
    public String formula() {
        return ownLoss.formula() + " + w_round * (" + peerLoss.formula() + ") [peers]";
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        check(labels, preOutput);
        INDArray scores = ownLoss.computeScoreArray(ownLabels(labels), preOutput, activationFn, mask);
        INDArray w = weights(labels, preOutput);
        if (w.sumNumber().doubleValue() != 0.0) {
            scores.addi(peerLoss.computeScoreArray(peerLabels(labels), preOutput, activationFn, mask).muli(w));
        }
        return scores;
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        check(labels, preOutput);
        INDArray grad = ownLoss.computeGradient(ownLabels(labels), preOutput, activationFn, mask);
        INDArray w = weights(labels, preOutput);
        if (w.sumNumber().doubleValue() != 0.0) {
            grad.addi(peerLoss.computeGradient(peerLabels(labels), preOutput, activationFn, mask)
                    .muliColumnVector(w));
        }
        return grad;
    }

    private void check(INDArray labels, INDArray z) {
        if (z.rank() != 2 || z.size(1) != classes || labels.rank() != 2
                || labels.size(1) != labelWidth(classes, teacher) || labels.size(0) != z.size(0)) {
            throw new IllegalArgumentException("co-distillation labels must be [n, " + labelWidth(classes, teacher)
                    + "] for logits [n, " + classes + "], got labels " + java.util.Arrays.toString(labels.shape())
                    + " and logits " + java.util.Arrays.toString(z.shape()));
        }
    }

    private INDArray columns(INDArray labels, int from, int to) {
        return labels.get(NDArrayIndex.all(), NDArrayIndex.interval(from, to));
    }

    private INDArray ownLabels(INDArray labels) {
        // Without a teacher the first 2C columns are [y | peer target]; the own terms must not read t then.
        return columns(labels, 0, 2 * classes);
    }

    private INDArray peerLabels(INDArray labels) {
        int peerFrom = (teacher ? 2 : 1) * classes;
        if (!teacher) {
            return columns(labels, 0, 2 * classes);
        }
        return Nd4j.hstack(columns(labels, 0, classes), columns(labels, peerFrom, peerFrom + classes));
    }

    private INDArray weights(INDArray labels, INDArray z) {
        int last = labelWidth(classes, teacher) - 1;
        return columns(labels, last, last + 1).castTo(z.dataType());
    }

    /** Java deserialization restores only the specs; rebuild the losses from the registry. */
    private Object readResolve() {
        return new CoDistillationLoss(own, peer, classes, teacher);
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CoDistillationLoss other && own.equals(other.own) && peer.equals(other.peer)
                && classes == other.classes && teacher == other.teacher;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(own, peer, classes, teacher);
    }

    @Override
    public String toString() {
        return "CoDistillationLoss(" + formula() + ")";
    }
}
