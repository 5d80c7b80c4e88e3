package io.distillery.data;

import io.distillery.config.DistilleryException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * Writes canonical datasets as zstd Parquet.
 *
 * <p>Rows are range-partitioned and sorted by id, so the same data always gives the same files with the same
 * content (which content hashes in provenance rely on) and each file covers one id range. The output appears
 * atomically: Spark writes to a temporary sibling directory which is renamed into place once complete, so a reader
 * never sees half a dataset and a failed write leaves the old output untouched.
 */
public final class DatasetWriter {
    private DatasetWriter() {
    }

    /** Writes {@code canonical} to {@code out} as {@code partitions} zstd Parquet files, replacing {@code out}. */
    public static void writeParquet(Dataset<Row> canonical, String out, int partitions) {
        writeParquet(canonical, out, partitions, List.of());
    }

    /**
     * Writes {@code canonical} to {@code out}, Hive-partitioned by {@code partitionColumns} when not empty, with about
     * {@code partitions} files in total.
     */
    public static void writeParquet(Dataset<Row> canonical, String out, int partitions, List<String> partitionColumns) {
        if (partitions < 1) {
            throw new DistilleryException("Partition count for '" + out + "' is " + partitions
                    + "; it must be at least 1.");
        }
        Configuration conf = canonical.sparkSession().sparkContext().hadoopConfiguration();
        FileSystem fs;
        Path target;
        try {
            fs = new Path(out).getFileSystem(conf);
            target = fs.makeQualified(new Path(out));
        } catch (IOException e) {
            throw new DistilleryException("Output path '" + out + "' is not usable: " + e.getMessage(), e);
        }
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + System.nanoTime());
        canonical.repartitionByRange(partitions, col(Canonical.ID))
                .sortWithinPartitions(Canonical.ID)
                .write()
                .mode(SaveMode.ErrorIfExists)
                .option("compression", "zstd")
                .partitionBy(partitionColumns.toArray(String[]::new))
                .parquet(tmp.toString());
        try {
            if (fs.exists(target) && !fs.delete(target, true)) {
                throw new DistilleryException("Could not replace '" + out + "': deleting the old output failed.");
            }
            if (!fs.rename(tmp, target)) {
                throw new DistilleryException("Could not move the written data from '" + tmp + "' to '" + out + "'.");
            }
        } catch (IOException e) {
            throw new DistilleryException("Could not move the written data into '" + out + "': " + e.getMessage(), e);
        }
    }
}
