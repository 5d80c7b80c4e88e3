package io.distillery.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IntSummaryStatistics;
import java.util.List;

/**
 * Which cached block belongs to which worker, and where every worker is in each round of an epoch. Worker
 * {@code w} owns the block partitions {@code w * k .. w * k + k - 1} ({@code k} blocks per worker). In an epoch a
 * worker visits its blocks in an order drawn from (seed, epoch, worker), and within a block its rows in
 * {@link EpochOrder#permutation} of (seed, epoch, block partition); a round fits up to {@code averagingFrequency}
 * minibatches of one block, so a round reads one block per worker and a block's last round may fit fewer. With one
 * block per worker this is exactly the order of one whole partition per worker. Every position derives from the
 * round counters alone, so a resumed or retried round sees the same minibatches.
 */
public final class BlockLayout implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Keeps the blocks' visiting order independent of the rows' order within a block. */
    private static final long BLOCK_ORDER_SALT = 0x5DEECE66DL;

    private final int workers;
    private final int blocksPerWorker;
    private final int[] blockRows;

    /**
     * @param workers   number of workers
     * @param blockRows rows of each block partition, in partition order; a multiple of {@code workers} long
     */
    public BlockLayout(int workers, int[] blockRows) {
        if (workers <= 0 || blockRows.length == 0 || blockRows.length % workers != 0) {
            throw new IllegalArgumentException(blockRows.length + " blocks cannot be shared by " + workers
                    + " workers");
        }
        this.workers = workers;
        this.blocksPerWorker = blockRows.length / workers;
        this.blockRows = blockRows.clone();
    }

    public int workers() {
        return workers;
    }

    public int blocksPerWorker() {
        return blocksPerWorker;
    }

    /** Number of block partitions. */
    public int blocks() {
        return blockRows.length;
    }

    /** The worker that owns block partition {@code block}. */
    public int worker(int block) {
        return block / blocksPerWorker;
    }

    /** Rows held by {@code worker}'s blocks. */
    public long rowsOf(int worker) {
        long n = 0;
        for (int b = 0; b < blocksPerWorker; b++) {
            n += blockRows[worker * blocksPerWorker + b];
        }
        return n;
    }

    /** Rows of block partition {@code block}. */
    public int rows(int block) {
        return blockRows[block];
    }

    /** Rounds in one epoch: that of the worker with the most, each block's minibatches split into rounds. */
    public int roundsPerEpoch(int batchSize, int averagingFrequency) {
        int most = 0;
        for (int w = 0; w < workers; w++) {
            int rounds = 0;
            for (int b = 0; b < blocksPerWorker; b++) {
                rounds += roundsOf(w * blocksPerWorker + b, batchSize, averagingFrequency);
            }
            most = Math.max(most, rounds);
        }
        return most;
    }

    /** {@code worker}'s block partitions in the order it visits them in {@code epoch}. */
    public int[] visitingOrder(long seed, int epoch, int worker) {
        int[] order = EpochOrder.permutation(blocksPerWorker, seed ^ BLOCK_ORDER_SALT, epoch, worker);
        for (int i = 0; i < order.length; i++) {
            order[i] += worker * blocksPerWorker;
        }
        return order;
    }

    /**
     * What every worker fits in round {@code roundInEpoch} of {@code epoch}; a worker that has fitted all its
     * minibatches of the epoch (fewer rows than the largest) takes no part.
     */
    public RoundPlan plan(long seed, int epoch, int roundInEpoch, int batchSize, int averagingFrequency) {
        List<int[]> parts = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int left = roundInEpoch;
            for (int block : visitingOrder(seed, epoch, w)) {
                int rounds = roundsOf(block, batchSize, averagingFrequency);
                if (left < rounds) {
                    int first = left * averagingFrequency;
                    int last = Math.min(batches(block, batchSize), first + averagingFrequency);
                    parts.add(new int[]{block, w, first, last});
                    break;
                }
                left -= rounds;
            }
        }
        // Spark's partition pruning keeps the parent's order: the plan lists its blocks ascending.
        parts.sort((a, b) -> Integer.compare(a[0], b[0]));
        return new RoundPlan(parts.stream().mapToInt(p -> p[0]).toArray(), parts.stream().mapToInt(p -> p[1])
                .toArray(), parts.stream().mapToInt(p -> p[2]).toArray(), parts.stream().mapToInt(p -> p[3])
                .toArray());
    }

    private int batches(int block, int batchSize) {
        return (blockRows[block] + batchSize - 1) / batchSize;
    }

    private int roundsOf(int block, int batchSize, int averagingFrequency) {
        return (batches(block, batchSize) + averagingFrequency - 1) / averagingFrequency;
    }

    @Override
    public String toString() {
        IntSummaryStatistics rows = Arrays.stream(blockRows).summaryStatistics();
        return workers + " worker(s) x " + blocksPerWorker + " block(s) of " + rows.getMin() + "-" + rows.getMax()
                + " rows";
    }

    /**
     * One round's work: for the i-th block it reads (ascending), the worker that owns it and the range
     * {@code [firstBatch, lastBatch)} of that block's minibatches.
     */
    public record RoundPlan(int[] blocks, int[] workers, int[] firstBatch, int[] lastBatch) implements Serializable {
        /** Whether block partition {@code block} is read in this round. */
        public boolean reads(int block) {
            return Arrays.binarySearch(blocks, block) >= 0;
        }
    }
}
