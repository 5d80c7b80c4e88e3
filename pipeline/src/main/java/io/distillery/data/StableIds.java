package io.distillery.data;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

/**
 * Generates ids for file data that has no id column: the row's position in the concatenation of its input files
 * sorted by path, so {@code 0 .. n-1} in (file path, row within file) order.
 *
 * <p>Why this is stable: it depends only on the file paths and the row order inside each file, never on how Spark
 * splits the files into partitions. {@code monotonically_increasing_id()} alone is not stable: it encodes the
 * partition index, which changes with {@code spark.sql.files.maxPartitionBytes}, the core count or file sizes.
 *
 * <p>How: Spark reads each file as one or more byte-range splits ({@code _metadata.file_block_start}); a split is
 * read by exactly one task, in file order, with its rows contiguous in that task. So within one split, {@code
 * monotonically_increasing_id() - min(...)} is the row's position in the split. One aggregation job counts the rows of
 * every split; the driver sorts the splits by (path, start) and turns the counts into offsets, which a broadcast join
 * adds back. Both jobs scan the same files with the same split plan, so the two evaluations agree. Adding a file
 * changes the ids of the files that sort after it, which is why the id column should be written out once (as the
 * IDX converter and {@link DatasetWriter} do) rather than regenerated from changing inputs.
 */
final class StableIds {
    private static final String FILE = "__distillery_file";
    private static final String BLOCK = "__distillery_block";
    private static final String MID = "__distillery_mid";
    private static final String BASE = "__distillery_base";

    private StableIds() {
    }

    /**
     * Adds column {@code idColumn} to {@code scan}, which must be a plain file scan ({@code spark.read()...}) with no
     * filter or shuffle in between: the row positions are only meaningful on the rows as read.
     */
    static Dataset<Row> withGeneratedIds(SparkSession spark, Dataset<Row> scan, String idColumn) {
        Dataset<Row> tagged = scan.select(col("*"), col("_metadata.file_path").as(FILE),
                col("_metadata.file_block_start").as(BLOCK), monotonically_increasing_id().as(MID));

        List<Row> splits = new ArrayList<>(tagged.groupBy(FILE, BLOCK)
                .agg(min(MID).as("first"), count(lit(1)).as("n")).collectAsList());
        splits.sort(Comparator.<Row, String>comparing(r -> r.getString(0)).thenComparingLong(r -> r.getLong(1)));

        List<Row> bases = new ArrayList<>(splits.size());
        long offset = 0;
        for (Row s : splits) {
            // id = offset of the split + (mid - first mid of the split) = mid + (offset - first).
            bases.add(RowFactory.create(s.getString(0), s.getLong(1), offset - s.getLong(2)));
            offset += s.getLong(3);
        }
        StructType schema = new StructType()
                .add(FILE, DataTypes.StringType, false)
                .add(BLOCK, DataTypes.LongType, false)
                .add(BASE, DataTypes.LongType, false);
        Dataset<Row> baseTable = spark.createDataFrame(bases, schema);

        return tagged.join(broadcast(baseTable), scala.collection.JavaConverters
                        .asScalaBuffer(List.of(FILE, BLOCK)).toSeq(), "inner")
                .withColumn(idColumn, col(MID).plus(col(BASE)))
                .drop(FILE, BLOCK, MID, BASE);
    }
}
