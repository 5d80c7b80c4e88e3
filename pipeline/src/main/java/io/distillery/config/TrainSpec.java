package io.distillery.config;

import com.typesafe.config.Config;

/**
 * How a model is trained across executors.
 *
 * @param epochs             passes over the training data
 * @param batchSize          rows per minibatch on each worker
 * @param averagingFrequency minibatches each worker fits between two parameter averages
 * @param workers            number of data partitions (one worker each); 0 = Spark's default parallelism
 * @param backend            {@code distillery} (our averaging loop) or {@code dl4j} (DL4J's
 *                           {@code ParameterAveragingTrainingMaster})
 * @param checkpointRounds   also checkpoint every this many rounds (0: after each epoch only)
 * @param patience           stop when the held-out accuracy has not improved for this many epochs and keep the
 *                           best epoch's parameters ({@code epochs} is then the maximum); 0: train every epoch and
 *                           keep the last
 * @param blockMb            the largest block of decoded rows a worker caches as one piece (MB): a worker's rows are
 *                           split into blocks of about this size, cached memory-and-disk, and a round reads one
 */
public record TrainSpec(int epochs, int batchSize, int averagingFrequency, int workers, String backend,
                        int checkpointRounds, int patience, int blockMb) {
    /** The default of {@code block-mb}. */
    public static final int DEFAULT_BLOCK_MB = 64;

    /** A schedule that checkpoints after each epoch only, trains every epoch, in blocks of the default size. */
    public TrainSpec(int epochs, int batchSize, int averagingFrequency, int workers, String backend) {
        this(epochs, batchSize, averagingFrequency, workers, backend, 0, 0, DEFAULT_BLOCK_MB);
    }

    static TrainSpec from(Config c, String path, ConfigProblems problems) {
        TrainSpec t = new TrainSpec(c.getInt("epochs"), c.getInt("batch-size"), c.getInt("averaging-frequency"),
                c.getInt("workers"), c.getString("backend"), c.getInt("checkpoint-rounds"), c.getInt("patience"),
                c.getInt("block-mb"));
        problems.check(t.epochs > 0, "Key " + path + ".epochs is " + t.epochs + "; it must be positive.");
        problems.check(t.batchSize > 0, "Key " + path + ".batch-size is " + t.batchSize + "; it must be positive.");
        problems.check(t.averagingFrequency > 0,
                "Key " + path + ".averaging-frequency is " + t.averagingFrequency + "; it must be positive.");
        problems.check(t.workers >= 0, "Key " + path + ".workers is " + t.workers + "; it must not be negative.");
        problems.check(t.checkpointRounds >= 0, "Key " + path + ".checkpoint-rounds is " + t.checkpointRounds
                + "; it must not be negative.");
        problems.check(t.patience >= 0, "Key " + path + ".patience is " + t.patience + "; it must not be negative.");
        problems.check(t.blockMb > 0, "Key " + path + ".block-mb is " + t.blockMb + "; it must be positive.");
        problems.check(t.backend.equals("distillery") || t.backend.equals("dl4j"),
                "Key " + path + ".backend is '" + t.backend + "'; use distillery or dl4j.");
        return t;
    }
}
