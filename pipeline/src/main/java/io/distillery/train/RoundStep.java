package io.distillery.train;

import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.io.Serializable;

/**
 * What one worker does with one minibatch for one model in a round: the executor-side half of a scheme. The plain
 * step ({@link #FIT}) fits the minibatch as packed; a co-distillation step first runs the frozen peer snapshots on
 * the same features to make the peer targets, then fits. Implementations are small immutable values: they travel
 * in every round's task closure.
 */
public interface RoundStep extends Serializable {

    /** Fits the minibatch as packed: offline distillation, the baseline, the teacher. */
    RoundStep FIT = (model, net, batch, worker) -> net.fit(batch);

    /**
     * Fits {@code net} (the worker's copy of trainable model {@code model}) on one minibatch.
     *
     * @param batch  features and, per output of the model, its label columns as packed in the block
     * @param worker this worker's view of the round: the frozen snapshots as networks, the round counters
     * @return the minibatch loss
     */
    double fit(TrainedModel model, Network net, MultiDataSet batch, WorkerRound worker);
}
