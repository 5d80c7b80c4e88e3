package io.distillery.data;

import org.apache.spark.sql.SparkSession;

import java.io.BufferedWriter;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Command-line tool that converts the Fashion-MNIST IDX files to the project's Parquet form.
 *
 * <pre>
 * SampleGenerator full    &lt;idx-dir&gt; &lt;out-dir&gt; [train-partitions=8] [test-partitions=2]
 * SampleGenerator samples &lt;idx-dir&gt; &lt;data-samples-dir&gt;
 * </pre>
 *
 * {@code full} writes every row to {@code out-dir/train} and {@code out-dir/test}. {@code samples} regenerates the
 * committed samples under {@code data-samples/} (see its README): stratified Parquet samples, a CSV and a tiny IDX
 * pair. The Spark master comes from the {@code spark.master} system property, {@code local[*]} by default: the IDX
 * files are read by the driver, so a local master is the natural one.
 */
public final class SampleGenerator {
    /** Seed of the committed stratified samples; changing it changes the committed files. */
    public static final long SAMPLE_SEED = 42L;
    static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";

    private SampleGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || !(args[0].equals("full") || args[0].equals("samples"))) {
            System.err.println("usage: SampleGenerator full <idx-dir> <out-dir> [train-partitions] [test-partitions]\n"
                    + "       SampleGenerator samples <idx-dir> <data-samples-dir>");
            System.exit(2);
        }
        Path src = Path.of(args[1]);
        Path out = Path.of(args[2]);
        SparkSession spark = SparkSession.builder()
                .appName("distillery-sample-generator")
                .master(System.getProperty("spark.master", "local[*]"))
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            if (args[0].equals("full")) {
                int trainParts = args.length > 3 ? Integer.parseInt(args[3]) : 8;
                int testParts = args.length > 4 ? Integer.parseInt(args[4]) : 2;
                convert(spark, src, TRAIN_IMAGES, out.resolve("train"), trainParts, 0);
                convert(spark, src, TEST_IMAGES, out.resolve("test"), testParts, 0);
            } else {
                writeSamples(spark, src, out);
            }
        } finally {
            spark.stop();
        }
    }

    /** Regenerates everything under {@code data-samples/} from the full IDX files in {@code src}. */
    static void writeSamples(SparkSession spark, Path src, Path samples) throws IOException {
        Path parquet = samples.resolve("fashion-mnist");
        convert(spark, src, TRAIN_IMAGES, parquet.resolve("train"), 2, 3_000);
        convert(spark, src, TEST_IMAGES, parquet.resolve("test"), 2, 1_000);
        IdxData test = IdxReader.read(src.resolve(TEST_IMAGES),
                DatasetReader.labelsBeside(src.resolve(TEST_IMAGES)));
        writeCsv(test, 200, samples.resolve("fashion-mnist-csv").resolve("sample.csv"));
        Path idx = samples.resolve("fashion-mnist-idx");
        writeIdx(test, 100, idx.resolve(TEST_IMAGES), idx.resolve("t10k-labels-idx1-ubyte.gz"));
        removeChecksums(parquet);
    }

    /**
     * Deletes Hadoop's {@code .crc} side files from committed samples: they add noise to the repository, and a stale
     * one (after a file is edited or re-encoded by git) would make the local filesystem refuse the data file.
     */
    private static void removeChecksums(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".crc")).toList()) {
                Files.delete(f);
            }
        }
    }

    private static void convert(SparkSession spark, Path src, String imagesName, Path out, int partitions,
                                int sample) {
        Path images = src.resolve(imagesName);
        long n = IdxToParquet.convert(spark, images, DatasetReader.labelsBeside(images), out.toString(), partitions,
                sample, SAMPLE_SEED);
        System.out.println("wrote " + n + " rows in " + partitions + " files to " + out);
    }

    /** The first {@code n} rows as CSV with header {@code id,label,p0..p783}, pixels as integers 0..255. */
    static void writeCsv(IdxData data, int n, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        int width = data.rows() * data.cols();
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            StringBuilder sb = new StringBuilder("id,label");
            for (int j = 0; j < width; j++) {
                sb.append(",p").append(j);
            }
            w.write(sb.append('\n').toString());
            for (int i = 0; i < n; i++) {
                sb.setLength(0);
                sb.append(i).append(',').append(data.labels()[i]);
                for (float f : data.features()[i]) {
                    sb.append(',').append(Math.round(f * 255f));
                }
                w.write(sb.append('\n').toString());
            }
        }
        System.out.println("wrote " + n + " rows to " + file);
    }

    /** The first {@code n} rows as a gzipped IDX image/label pair. */
    static void writeIdx(IdxData data, int n, Path images, Path labels) throws IOException {
        Files.createDirectories(images.getParent());
        try (DataOutputStream out = gzip(images)) {
            out.writeInt(IdxReader.IMAGES_MAGIC);
            out.writeInt(n);
            out.writeInt(data.rows());
            out.writeInt(data.cols());
            for (int i = 0; i < n; i++) {
                for (float f : data.features()[i]) {
                    out.writeByte(Math.round(f * 255f));
                }
            }
        }
        try (DataOutputStream out = gzip(labels)) {
            out.writeInt(IdxReader.LABELS_MAGIC);
            out.writeInt(n);
            for (int i = 0; i < n; i++) {
                out.writeByte(data.labels()[i]);
            }
        }
        System.out.println("wrote " + n + " rows to " + images + " and " + labels);
    }

    private static DataOutputStream gzip(Path file) throws IOException {
        OutputStream os = Files.newOutputStream(file);
        return new DataOutputStream(new GZIPOutputStream(os, 1 << 16));
    }
}
