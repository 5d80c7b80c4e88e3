package io.distillery.train;

import io.distillery.config.TrainSpec;
import io.distillery.provenance.Provenance;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.ToDoubleFunction;

/**
 * The one epoch loop every training run shares (teacher, student, baseline; later co-distillation and the other
 * schemes): resume from the last checkpoint, fit an epoch through a {@link TrainingBackend}, measure held-out
 * accuracy, log, checkpoint. What differs between schemes (the loss, the label columns, the backend) is decided by
 * the caller, not here.
 */
public final class DistributedTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DistributedTrainer.class);

    private final String name;
    private final TrainSpec spec;
    private final Checkpoints checkpoints;
    private final Provenance provenance;

    /**
     * @param name        how the run is called in the log ({@code teacher}, {@code student}, ...)
     * @param checkpoints where per-epoch checkpoints go
     * @param provenance  recorded with each checkpoint
     */
    public DistributedTrainer(String name, TrainSpec spec, Checkpoints checkpoints, Provenance provenance) {
        this.name = name;
        this.spec = spec;
        this.checkpoints = checkpoints;
        this.provenance = provenance;
    }

    /**
     * Trains for {@code spec.epochs()} epochs and returns the trained network.
     *
     * @param fresh      the initial network, used unless resuming: a {@code MultiLayerNetwork}, or a
     *                   {@code ComputationGraph} (a training graph), which is then what the checkpoints hold
     * @param resume     continue from the last checkpoint when one exists
     * @param heldOut    held-out accuracy of a network (NaN to skip)
     */
    @SuppressWarnings("unchecked")
    public <N extends Model> N train(TrainingBackend backend, N fresh, boolean resume, ToDoubleFunction<N> heldOut) {
        N net = fresh;
        int start = 0;
        if (resume && checkpoints.latestEpoch().isPresent()) {
            int last = checkpoints.latestEpoch().get();
            net = fresh instanceof ComputationGraph ? (N) checkpoints.loadGraph(last) : (N) checkpoints.load(last);
            start = last + 1;
            LOG.info("{}: resuming after epoch {} from {}", name, last + 1, checkpoints.dir());
        }
        for (int epoch = start; epoch < spec.epochs(); epoch++) {
            long t0 = System.nanoTime();
            double loss = backend.fitEpoch(net, epoch);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double accuracy = heldOut.applyAsDouble(net);
            LOG.info(String.format("%s: epoch %d/%d loss %.4f held-out accuracy %.4f (%.1f s)",
                    name, epoch + 1, spec.epochs(), loss, accuracy, seconds));
            checkpoints.save(net, epoch, provenance.withFact("held-out-accuracy", Double.toString(accuracy)));
        }
        return net;
    }
}
