package io.distillery.train;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One model of a training run as the workers need to know it: its name (the key of its state), how to build it,
 * which label columns each of its outputs reads, and which workers' rows train it.
 *
 * @param name         key in {@link TrainingState#trainable()}
 * @param blueprint    the architecture, rebuilt on each executor
 * @param outputRanges (offset, width) of the label columns of each output, in output order; for a plain network
 *                     one pair, normally the whole label vector
 * @param partitions   the workers (data partitions) whose rows train this model, ascending; empty means every
 *                     worker
 */
public record TrainedModel(String name, Network.Blueprint blueprint, int[] outputRanges, int[] partitions)
        implements Serializable {

    public TrainedModel {
        if (outputRanges.length == 0 || outputRanges.length % 2 != 0) {
            throw new IllegalArgumentException("output ranges come in (offset, width) pairs: "
                    + Arrays.toString(outputRanges));
        }
        outputRanges = outputRanges.clone();
        partitions = partitions.clone();
    }

    /** A plain network trained on every partition whose single output reads the whole label vector. */
    public static TrainedModel plain(String name, Network template, LabelLayout labels) {
        return new TrainedModel(name, template.blueprint(), new int[]{0, labels.width()}, new int[0]);
    }

    /** The same model trained on the given partitions only (a disjoint shard). */
    public TrainedModel onPartitions(int... shard) {
        return new TrainedModel(name, blueprint, outputRanges, shard);
    }

    /** Whether the rows of worker {@code partition} train this model. */
    public boolean trainsOn(int partition) {
        return partitions.length == 0 || Arrays.binarySearch(partitions, partition) >= 0;
    }
}
