package io.distillery.train;

import java.util.SplittableRandom;

/**
 * The order in which a block's rows are visited in an epoch: a permutation derived from the run's seed, the epoch
 * and the block's partition alone, so a resumed or retried task sees exactly the same minibatches
 * ({@link BlockLayout} orders the blocks themselves).
 */
public final class EpochOrder {
    private EpochOrder() {
    }

    /** The visiting order of the {@code rows} rows of block partition {@code partition} in {@code epoch}. */
    public static int[] permutation(int rows, long seed, int epoch, int partition) {
        SplittableRandom rng = new SplittableRandom(mix(seed, epoch, partition));
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        for (int i = rows - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    static long mix(long seed, int epoch, int partition) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + partition;
        return h ^ (h >>> 29);
    }
}
