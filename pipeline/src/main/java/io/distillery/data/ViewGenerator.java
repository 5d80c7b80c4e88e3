package io.distillery.data;

import io.distillery.config.DistilleryException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Command-line tool that adds a second view of the same rows to an image dataset, for cross-modal distillation
 * (pipeline/README.md, "Cross-modal distillation"): the teacher reads the pixels, the student the view.
 *
 * <pre>
 * ViewGenerator profile|small &lt;in&gt; &lt;out&gt; [partitions=2]
 * </pre>
 *
 * Reads the Parquet dataset {@code in} (columns {@code id}, {@code label}, {@code features}: a square image,
 * row-major, e.g. 784 = 28x28 values) and writes {@code out} with the same rows and columns plus one
 * {@code array<float>} column named after the view:
 * <ul>
 *   <li>{@code profile}: the mean of each image row (top to bottom), then the mean of each image column (left to
 *   right): 2 x 28 = 56 values, an image's two projections;</li>
 *   <li>{@code small}: the image average-pooled in 4x4 blocks, 7x7 = 49 values, row-major.</li>
 * </ul>
 * The output is plain data, not Distillery's canonical form (the canonical marker is dropped from {@code features})
 * so the config's column names apply to it. Files are zstd Parquet, rows sorted by id. The Spark master comes from
 * the {@code spark.master} system property, {@code local[*]} by default.
 */
public final class ViewGenerator {
    /** Name of the row-and-column-means view, and of its column. */
    public static final String PROFILE = "profile";
    /** Name of the 4x4 average-pooled view, and of its column. */
    public static final String SMALL = "small";
    /** Side of the pooling blocks of {@link #SMALL}. */
    static final int POOL = 4;

    private ViewGenerator() {
    }

    public static void main(String[] args) {
        if (args.length < 3 || !(PROFILE.equals(args[0]) || SMALL.equals(args[0]))) {
            System.err.println("usage: ViewGenerator profile|small <in> <out> [partitions=2]");
            System.exit(2);
        }
        int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        SparkSession spark = SparkSession.builder()
                .appName("distillery-view-generator")
                .master(System.getProperty("spark.master", "local[*]"))
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            write(spark, args[0], args[1], args[2], partitions);
        } finally {
            spark.stop();
        }
    }

    /** Reads {@code in}, adds the view column {@code view} and writes {@code out} as {@code partitions} files. */
    public static void write(SparkSession spark, String view, String in, String out, int partitions) {
        Dataset<Row> rows = spark.read().option("pathGlobFilter", "*.parquet").parquet(in)
                .select(Canonical.ID, Canonical.LABEL, Canonical.FEATURES);
        StructType schema = rows.schema()
                .add(view, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        boolean profile = PROFILE.equals(view);
        Dataset<Row> withView = rows.mapPartitions((MapPartitionsFunction<Row, Row>) it -> addView(it, profile),
                Encoders.row(schema)).withMetadata(Canonical.FEATURES, Metadata.empty());
        DatasetWriter.writeParquet(withView, out, partitions);
        removeChecksums(spark, out);
    }

    /** Deletes Hadoop's {@code .crc} side files: committed samples should hold the data files only. */
    private static void removeChecksums(SparkSession spark, String out) {
        try {
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(out);
            org.apache.hadoop.fs.FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            // A checksummed (local) file system hides its .crc files from listings; its raw one shows them.
            if (fs instanceof org.apache.hadoop.fs.ChecksumFileSystem checksummed) {
                fs = checksummed.getRawFileSystem();
            }
            for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(dir)) {
                if (f.getPath().getName().endsWith(".crc")) {
                    fs.delete(f.getPath(), false);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Iterator<Row> addView(Iterator<Row> it, boolean profile) {
        List<Row> out = new ArrayList<>();
        while (it.hasNext()) {
            Row r = it.next();
            List<Number> f = r.getList(2);
            float[] pixels = new float[f.size()];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = f.get(i).floatValue();
            }
            out.add(RowFactory.create(r.get(0), r.get(1), r.get(2), profile ? profile(pixels) : small(pixels)));
        }
        return out.iterator();
    }

    /** The side of a square image of {@code pixels.length} values; refuses a width that is not a square. */
    static int side(float[] pixels) {
        int side = (int) Math.round(Math.sqrt(pixels.length));
        if (side * side != pixels.length) {
            throw new DistilleryException("Column 'features' holds " + pixels.length + " values, which is not a "
                    + "square image; ViewGenerator needs side x side pixels, row-major.");
        }
        return side;
    }

    /** The means of each image row, then of each image column (2 x side values), summed in double precision. */
    static float[] profile(float[] pixels) {
        int side = side(pixels);
        float[] out = new float[2 * side];
        for (int y = 0; y < side; y++) {
            double rowSum = 0;
            double columnSum = 0;
            for (int x = 0; x < side; x++) {
                rowSum += pixels[y * side + x];
                columnSum += pixels[x * side + y];
            }
            out[y] = (float) (rowSum / side);
            out[side + y] = (float) (columnSum / side);
        }
        return out;
    }

    /** The image average-pooled in {@link #POOL} x {@link #POOL} blocks, row-major; the side must divide by it. */
    static float[] small(float[] pixels) {
        int side = side(pixels);
        if (side % POOL != 0) {
            throw new DistilleryException("Images of side " + side + " do not divide into " + POOL + "x" + POOL
                    + " blocks; use the profile view.");
        }
        int small = side / POOL;
        float[] out = new float[small * small];
        for (int by = 0; by < small; by++) {
            for (int bx = 0; bx < small; bx++) {
                double sum = 0;
                for (int y = 0; y < POOL; y++) {
                    for (int x = 0; x < POOL; x++) {
                        sum += pixels[(by * POOL + y) * side + bx * POOL + x];
                    }
                }
                out[by * small + bx] = (float) (sum / (POOL * POOL));
            }
        }
        return out;
    }
}
