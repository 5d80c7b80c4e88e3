package io.distillery.data;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Converts an IDX image/label pair (such as Fashion-MNIST) to canonical Parquet, optionally as a stratified sample.
 * The id of a row is its index in the original IDX file, so a sample's ids point back into the full set and two
 * conversions of the same files agree.
 */
public final class IdxToParquet {
    private IdxToParquet() {
    }

    /**
     * Reads {@code images} and {@code labels} (gzipped or plain) and writes zstd Parquet to {@code out}.
     *
     * @param partitions number of Parquet files
     * @param sampleSize 0 for every row, else the size of a stratified sample (the same number of rows per class)
     * @param seed       seed of the sample; the same seed picks the same rows
     * @return the number of rows written
     */
    public static long convert(SparkSession spark, Path images, Path labels, String out, int partitions,
                               int sampleSize, long seed) {
        IdxData data = IdxReader.read(images, labels);
        int[] rows = sampleSize > 0 ? StratifiedSample.indices(data.labels(), sampleSize, seed) : null;
        Dataset<Row> canonical = toCanonical(spark, data, rows, partitions);
        DatasetWriter.writeParquet(canonical, out, partitions);
        return rows == null ? data.size() : rows.length;
    }

    /**
     * The canonical form of in-memory IDX data, restricted to {@code rows} (indices into the file, or null for all).
     * The rows are shipped from the driver, which is fine for IDX-sized data (Fashion-MNIST's 60k rows are about
     * 190 MB as floats); larger data should come as Parquet.
     */
    public static Dataset<Row> toCanonical(SparkSession spark, IdxData data, int[] rows, int partitions) {
        int[] idx = rows != null ? rows : IntStream.range(0, data.size()).toArray();
        List<Row> out = new ArrayList<>(idx.length);
        for (int i : idx) {
            out.add(RowFactory.create((long) i, data.labels()[i], data.features()[i]));
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(out, Math.max(1, partitions)), Canonical.SCHEMA);
    }
}
