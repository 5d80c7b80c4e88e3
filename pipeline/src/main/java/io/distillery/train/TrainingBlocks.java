package io.distillery.train;

import io.distillery.store.SoftTargetSchema;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * A dataset (canonical or soft-target store) packed for training on the executors: each worker's rows in bounded
 * {@link TrainingBlock}s, one cached RDD partition each ({@link BlockLayout} says which worker owns which). Rows
 * are decoded from Parquet once; every round and epoch then reads the packed arrays. The blocks are persisted
 * memory-and-disk, and no block is larger than about {@code train.block-mb}, so an executor holds what its memory
 * allows and Spark keeps the rest on its local disks: the data set never has to fit in memory, only a block does.
 */
public final class TrainingBlocks {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingBlocks.class);
    private static final long MB = 1L << 20;

    private final JavaRDD<TrainingBlock> rdd;
    private final int workers;
    private BlockLayout layout;

    private TrainingBlocks(JavaRDD<TrainingBlock> rdd, int workers) {
        this.rdd = rdd;
        this.workers = workers;
    }

    /**
     * Packs {@code data} for {@code workers} workers in blocks of at most about {@code blockMb} MB each (a block
     * may exceed it by one row per input partition). The data is repartitioned unless it already has one partition
     * per worker and each fits in a block.
     *
     * @param inputWidth number of features per row
     */
    public static TrainingBlocks pack(Dataset<Row> data, int workers, int inputWidth, RowLabels labels,
                                      int blockMb) {
        long rows = data.count();
        long rowBytes = 4L * (inputWidth + labels.width());
        int perWorker = blocksPerWorker(rows, workers, rowBytes, blockMb * MB);
        int partitions = workers * perWorker;
        Dataset<Row> parts = perWorker == 1 && data.rdd().getNumPartitions() == workers ? data
                : data.repartition(partitions);
        LOG.info("packing {} rows of {} bytes for {} worker(s): {} block(s) each of at most about {} MB "
                + "(train.block-mb = {}), cached memory-and-disk", rows, rowBytes, workers, perWorker,
                Math.max(1, (rows + partitions - 1) / partitions * rowBytes / MB), blockMb);
        JavaRDD<TrainingBlock> blocks = parts.javaRDD().mapPartitions(it -> pack(it, inputWidth, labels));
        return new TrainingBlocks(blocks.persist(StorageLevel.MEMORY_AND_DISK()), workers);
    }

    /** Blocks already made, one per partition and one partition per worker (tests and benchmarks). */
    public static TrainingBlocks onePerWorker(JavaRDD<TrainingBlock> blocks) {
        return of(blocks, blocks.getNumPartitions());
    }

    /**
     * Blocks already made, at most one per partition, shared by {@code workers} workers as {@link BlockLayout}
     * says (tests and benchmarks).
     */
    public static TrainingBlocks of(JavaRDD<TrainingBlock> blocks, int workers) {
        return new TrainingBlocks(blocks, workers);
    }

    /** The fewest blocks per worker that keep each at or below {@code blockBytes}. */
    static int blocksPerWorker(long rows, int workers, long rowBytes, long blockBytes) {
        long rowsPerWorker = (rows + workers - 1) / workers;
        long rowsPerBlock = Math.max(1, blockBytes / rowBytes);
        long blocks = Math.max(1, (rowsPerWorker + rowsPerBlock - 1) / rowsPerBlock);
        if (blocks * workers > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(rows + " rows need " + blocks * workers + " blocks; raise block-mb");
        }
        return (int) blocks;
    }

    /** The cached blocks, one per partition (an empty partition holds none). */
    public JavaRDD<TrainingBlock> rdd() {
        return rdd;
    }

    public int workers() {
        return workers;
    }

    /** Which worker owns which block and how many rows each holds; the first call counts them in one job. */
    public BlockLayout layout() {
        if (layout == null) {
            List<Integer> rows = rdd.mapPartitions(it -> {
                int n = 0;
                while (it.hasNext()) {
                    n += it.next().rows();
                }
                return List.of(n).iterator();
            }).collect();
            layout = new BlockLayout(workers, rows.stream().mapToInt(Integer::intValue).toArray());
        }
        return layout;
    }

    /** Drops the cached blocks. */
    public void unpersist() {
        rdd.unpersist();
    }

    static Iterator<TrainingBlock> pack(Iterator<Row> rows, int inputWidth, RowLabels labels) {
        List<float[]> features = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        while (rows.hasNext()) {
            Row row = rows.next();
            List<Float> x = row.getList(row.fieldIndex(SoftTargetSchema.FEATURES));
            float[] f = new float[inputWidth];
            for (int i = 0; i < inputWidth; i++) {
                f[i] = x.get(i);
            }
            float[] y = new float[labels.width()];
            labels.write(row, y, 0);
            features.add(f);
            targets.add(y);
        }
        if (features.isEmpty()) {
            return Collections.emptyIterator();
        }
        int n = features.size();
        float[] x = new float[n * inputWidth];
        float[] y = new float[n * labels.width()];
        for (int i = 0; i < n; i++) {
            System.arraycopy(features.get(i), 0, x, i * inputWidth, inputWidth);
            System.arraycopy(targets.get(i), 0, y, i * labels.width(), labels.width());
        }
        return List.of(new TrainingBlock(n, inputWidth, labels.width(), x, y)).iterator();
    }
}
