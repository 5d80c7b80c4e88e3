package io.distillery.train;

import org.deeplearning4j.nn.api.Model;

/**
 * How one epoch of data-parallel training is carried out on the cluster. The epoch loop, checkpoints and logging
 * live in {@link DistributedTrainer}; a backend only turns the network into the network after one more epoch.
 * Keeping DL4J's frozen Spark module behind this interface lets it be swapped without touching the schemes.
 */
public interface TrainingBackend extends AutoCloseable {

    /**
     * Trains {@code net} in place for one epoch.
     *
     * @param net a {@code MultiLayerNetwork}, or a {@code ComputationGraph} for backends that support it
     * @return the mean minibatch loss of the epoch
     */
    double fitEpoch(Model net, int epoch);

    /** Releases cached data and executor-side state. */
    @Override
    void close();
}
