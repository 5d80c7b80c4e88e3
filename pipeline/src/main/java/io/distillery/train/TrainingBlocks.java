package io.distillery.train;

import io.distillery.store.SoftTargetSchema;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.RDDInfo;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
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
        LOG.info("packing {} rows of {} bytes for {} worker(s): {} block(s) each of at most about {} MB "
                + "(train.block-mb = {}), cached memory-and-disk", rows, rowBytes, workers, perWorker,
                Math.max(1, (rows + partitions - 1) / partitions * rowBytes / MB), blockMb);
        JavaRDD<TrainingBlock> blocks;
        if (perWorker == 1 && data.rdd().getNumPartitions() == workers) {
            blocks = data.javaRDD().mapPartitions(it -> pack(it, inputWidth, labels));
        } else {
            // Rows are decoded before the shuffle, and an RDD's round-robin repartition streams them to disk
            // without sorting: a Dataset's repartition sorts every row first, which needs execution memory that a
            // small executor does not have. The input's order is deterministic, so the blocks are too.
            blocks = data.javaRDD().map(row -> TrainingRow.of(row, inputWidth, labels)).repartition(partitions)
                    .mapPartitions(TrainingBlocks::block);
        }
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
            Storage where = storage();
            LOG.info("{} cached: {} MB in memory, {} MB on local disk", layout, where.memoryBytes() / MB,
                    where.diskBytes() / MB);
        }
        return layout;
    }

    /** Where Spark holds the cached blocks now: bytes in executor memory and on the executors' local disks. */
    public Storage storage() {
        for (RDDInfo info : rdd.context().getRDDStorageInfo()) {
            if (info.id() == rdd.id()) {
                return new Storage(info.memSize(), info.diskSize());
            }
        }
        return new Storage(0, 0);
    }

    /** Bytes of cached blocks in memory and on disk. */
    public record Storage(long memoryBytes, long diskBytes) {
    }

    /** Drops the cached blocks. */
    public void unpersist() {
        rdd.unpersist();
    }

    static Iterator<TrainingBlock> pack(Iterator<Row> rows, int inputWidth, RowLabels labels) {
        return block(new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public TrainingRow next() {
                return TrainingRow.of(rows.next(), inputWidth, labels);
            }
        });
    }

    /** The rows of one partition as one block (none for an empty partition). */
    static Iterator<TrainingBlock> block(Iterator<TrainingRow> rows) {
        List<TrainingRow> all = new ArrayList<>();
        rows.forEachRemaining(all::add);
        if (all.isEmpty()) {
            return Collections.emptyIterator();
        }
        int n = all.size();
        int inputWidth = all.get(0).features.length;
        int labelWidth = all.get(0).labels.length;
        float[] x = new float[n * inputWidth];
        float[] y = new float[n * labelWidth];
        for (int i = 0; i < n; i++) {
            System.arraycopy(all.get(i).features, 0, x, i * inputWidth, inputWidth);
            System.arraycopy(all.get(i).labels, 0, y, i * labelWidth, labelWidth);
            all.set(i, null);
        }
        return List.of(new TrainingBlock(n, inputWidth, labelWidth, x, y)).iterator();
    }

    /**
     * One decoded row on its way into a block: its features and its packed labels. A class, not a record: rows
     * are shuffled, and Spark's Kryo cannot serialize records.
     */
    static final class TrainingRow implements Serializable {
        private static final long serialVersionUID = 1L;
        private final float[] features;
        private final float[] labels;

        private TrainingRow(float[] features, float[] labels) {
            this.features = features;
            this.labels = labels;
        }

        static TrainingRow of(Row row, int inputWidth, RowLabels labels) {
            List<Float> x = row.getList(row.fieldIndex(SoftTargetSchema.FEATURES));
            float[] f = new float[inputWidth];
            for (int i = 0; i < inputWidth; i++) {
                f[i] = x.get(i);
            }
            float[] y = new float[labels.width()];
            labels.write(row, y, 0);
            return new TrainingRow(f, y);
        }
    }
}
