package io.distillery.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The executor side of co-distillation and deep mutual learning: before fitting a model on a minibatch, run the
 * other models' frozen snapshots on the same features and append to the packed labels the peer target and the
 * row's peer weight ({@code [... | peers (C) | peer-weight (1)]}, read by
 * {@link io.distillery.loss.CoDistillationLoss}).
 *
 * <p>The target, from the peers' class probabilities {@code p_j} (one forward pass per snapshot and minibatch,
 * shared by every model this worker trains on it):
 * <ul>
 *   <li>{@link Target#MEAN_PROBABILITY}: {@code T * log(mean_j softmax(log p_j / T))}, logits whose tempered
 *       softmax is the peers' mean tempered prediction, for the {@code kd} term (Anil et al. 2018; Zhang et al.
 *       2018 at T = 1). A softmax is shift-invariant, so {@code log p_j} stands in for the peer's logits.</li>
 *   <li>{@link Target#MEAN_LOG_PROBABILITY}: {@code mean_j log p_j}, the peers' mean normalised logits, for
 *       {@code logit-mse}. Normalised because a logit vector's shift is arbitrary; regressing onto log-probabilities
 *       fixes it.</li>
 * </ul>
 * Probabilities are clamped at {@code 1e-30} before the log, so a peer that is certain stays finite.
 *
 * <p>The weight is 0 until the round count reaches the burn-in and while a model has no peer snapshot yet.
 */
public final class CoDistillationStep implements RoundStep {
    private static final long serialVersionUID = 1L;
    private static final double FLOOR = 1e-30;

    /** How the peers' predictions become one target. */
    public enum Target { MEAN_PROBABILITY, MEAN_LOG_PROBABILITY }

    private final Map<String, List<String>> peersOf;
    private final Target target;
    private final double temperature;
    private final double weight;
    private final long burnIn;
    private final int classes;

    /**
     * @param peersOf     for each model, the names of the frozen snapshots it learns from
     * @param temperature T of the {@code kd} peer term (unused for {@link Target#MEAN_LOG_PROBABILITY})
     * @param weight      the peer weight once on
     * @param burnIn      rounds before the peer term is on
     * @param classes     C, the width of the models' outputs
     */
    public CoDistillationStep(Map<String, List<String>> peersOf, Target target, double temperature, double weight,
                              long burnIn, int classes) {
        this.classes = classes;
        this.peersOf = Map.copyOf(peersOf);
        this.target = target;
        this.temperature = temperature;
        this.weight = weight;
        this.burnIn = burnIn;
    }

    @Override
    public double fit(TrainedModel model, Network net, MultiDataSet batch, WorkerRound worker) {
        INDArray features = batch.getFeatures(0);
        INDArray packed = batch.getLabels(0);
        long n = packed.size(0);
        List<String> peers = new ArrayList<>();
        for (String p : peersOf.getOrDefault(model.name(), List.of())) {
            if (worker.frozen().containsKey(p)) {
                peers.add(p);
            }
        }
        // With weight 0 (independent training, the comparison run) no snapshot is run at all.
        boolean on = weight > 0 && worker.round() >= burnIn && !peers.isEmpty();
        INDArray peerTarget = on ? peerTarget(peers, features, worker)
                : Nd4j.zeros(packed.dataType(), n, classes);
        INDArray w = Nd4j.valueArrayOf(new long[]{n, 1}, on ? weight : 0.0, packed.dataType());
        for (String p : peers) {
            worker.noteRead(model.name(), p + "@" + worker.frozen().get(p).round() + " w=" + (on ? weight : 0.0));
        }
        INDArray labels = Nd4j.hstack(packed, peerTarget.castTo(packed.dataType()), w);
        return net.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{features}, new INDArray[]{labels}));
    }

    private INDArray peerTarget(List<String> peers, INDArray features, WorkerRound worker) {
        INDArray sum = null;
        for (String p : peers) {
            INDArray logP = worker.memo(p, k -> Transforms.log(Transforms.max(
                    worker.frozenNetwork(k).output(features).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE),
                    FLOOR, false), false));
            INDArray term = target == Target.MEAN_PROBABILITY ? softmaxRows(logP.div(temperature)) : logP.dup();
            sum = sum == null ? term : sum.addi(term);
        }
        INDArray mean = sum.divi(peers.size());
        return target == Target.MEAN_PROBABILITY
                ? Transforms.log(Transforms.max(mean, FLOOR, false), false).muli(temperature) : mean;
    }

    private static INDArray softmaxRows(INDArray x) {
        INDArray shifted = x.subColumnVector(x.max(true, 1));
        INDArray e = Transforms.exp(shifted, false);
        return e.diviColumnVector(e.sum(true, 1));
    }
}
