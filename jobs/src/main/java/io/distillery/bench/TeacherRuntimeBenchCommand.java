package io.distillery.bench;

import io.distillery.model.Dl4jTeacherRuntime;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.ModelArtifact;
import io.distillery.model.TeacherRuntime;
import io.distillery.onnx.OnnxExporter;
import io.distillery.onnx.OnnxModel;
import io.distillery.onnx.OnnxTeacherRuntime;
import io.distillery.store.ArtifactFiles;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code distill bench teacher-runtimes}: the teacher's forward passes alone (no Spark job, no store), rows per
 * second of the same DL4J teacher run by DL4J and by ONNX Runtime on its ONNX export, on the same rows held in memory,
 * in batches of the soft-target stage's size, each engine with the same number of threads; and the largest
 * difference between their logits, which must stay within float tolerance.
 */
@Command(name = "teacher-runtimes", mixinStandardHelpOptions = true,
        description = "Rows per second of a DL4J teacher's forward passes run by DL4J and by ONNX Runtime (its ONNX "
                + "export), same rows, same batch size, same threads; and the largest logit difference.")
public final class TeacherRuntimeBenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A DL4J teacher artifact.")
    String model;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Canonical Parquet rows.")
    String data;

    @Option(names = "--taps", split = ",", paramLabel = "LAYER", description = "Layers tapped as well.")
    List<String> taps = new ArrayList<>();

    @Option(names = "--batch-size", defaultValue = "1024", description = "Rows per forward pass (default: "
            + "${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--threads", defaultValue = "1", description = "Threads of each engine (ND4J's ops and BLAS; "
            + "ONNX Runtime's intra-op pool) (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--passes", defaultValue = "5", description = "Timed passes over the rows per engine (default: "
            + "${DEFAULT-VALUE}).")
    int passes;

    @Override
    public Integer call() {
        float[] x;
        int width;
        SparkSession spark = SparkSession.builder().master("local[1]").appName("bench teacher-runtimes")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(data).select("features").collectAsList();
            width = rows.get(0).getList(0).size();
            x = new float[rows.size() * width];
            for (int r = 0; r < rows.size(); r++) {
                List<Float> f = rows.get(r).getList(0);
                for (int i = 0; i < width; i++) {
                    x[r * width + i] = f.get(i);
                }
            }
        } finally {
            spark.stop();
        }
        int n = x.length / width;
        MultiLayerNetwork net = ModelArtifact.load(new ArtifactFiles(new org.apache.hadoop.conf.Configuration()),
                model);
        Nd4jThreads.capture().apply(Integer.toString(threads));
        TeacherRuntime dl4j = new Dl4jTeacherRuntime(new LogitsAndTaps(net, taps), width);
        try (OnnxModel onnx = OnnxModel.open(OnnxExporter.export(net, taps), "the export of " + model, threads)) {
            TeacherRuntime ort = new OnnxTeacherRuntime(onnx, OnnxExporter.LOGITS, taps, false);
            double worst = largestDifference(dl4j, ort, x, n, width);
            double dl4jRate = rowsPerSecond(dl4j, x, n, width);
            double ortRate = rowsPerSecond(ort, x, n, width);
            System.out.printf(Locale.ROOT, "teacher %s, taps %s, %d rows of %d features, batch %d, %d thread(s)%n",
                    model, taps, n, width, batchSize, threads);
            System.out.printf(Locale.ROOT, "  DL4J:         %,10.0f rows/s%n", dl4jRate);
            System.out.printf(Locale.ROOT, "  ONNX Runtime: %,10.0f rows/s (%.1fx)%n", ortRate, ortRate / dl4jRate);
            System.out.printf(Locale.ROOT, "  largest logit difference: %.3g%n", worst);
        }
        return 0;
    }

    private double rowsPerSecond(TeacherRuntime runtime, float[] x, int n, int width) {
        sweep(runtime, x, n, width); // warm-up: JIT, allocator, ORT's first-run planning
        long t0 = System.nanoTime();
        for (int p = 0; p < passes; p++) {
            sweep(runtime, x, n, width);
        }
        return (double) n * passes / ((System.nanoTime() - t0) / 1e9);
    }

    private void sweep(TeacherRuntime runtime, float[] x, int n, int width) {
        for (int start = 0; start < n; start += batchSize) {
            int rows = Math.min(batchSize, n - start);
            float[] batch = new float[rows * width];
            System.arraycopy(x, start * width, batch, 0, batch.length);
            runtime.forward(batch, rows);
        }
    }

    private double largestDifference(TeacherRuntime a, TeacherRuntime b, float[] x, int n, int width) {
        int rows = Math.min(batchSize, n);
        float[] batch = java.util.Arrays.copyOf(x, rows * width);
        float[][] la = a.forward(batch, rows).logits();
        float[][] lb = b.forward(batch, rows).logits();
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < la[r].length; c++) {
                worst = Math.max(worst, Math.abs(la[r][c] - lb[r][c]));
            }
        }
        return worst;
    }
}
