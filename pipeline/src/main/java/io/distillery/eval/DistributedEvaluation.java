package io.distillery.eval;

import io.distillery.data.FeatureScaling;
import io.distillery.model.ExecutorModelCache;
import io.distillery.model.HostArrays;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates several models on held-out rows in one pass on the executors: every batch goes through the teacher
 * (when given) and each other model, so agreement with the teacher and KL(teacher || model) come from the very same
 * rows. The rows never reach the driver; only the mergeable {@link EvaluationResult}s do. Each model reads its own
 * input column of the rows ({@link NamedModel#column()}): in cross-modal distillation the teacher reads
 * {@code features} and the student {@code student_features}, still in the one pass over the same rows.
 */
public final class DistributedEvaluation {
    private DistributedEvaluation() {
    }

    /**
     * A model to evaluate.
     *
     * @param name    name in the report
     * @param zip     the model zip bytes (broadcast to executors)
     * @param hash    content hash of the zip (the executor cache key)
     * @param scaling the feature scaling the model was trained with, applied to the rows before its forward pass
     * @param column  the array column of the rows the model reads: {@code features}, or another view of the same
     *                rows (a cross-modal student's {@code student_features})
     */
    public record NamedModel(String name, byte[] zip, String hash, FeatureScaling scaling, String column) {
        /** A model reading the {@code features} column. */
        public NamedModel(String name, byte[] zip, String hash, FeatureScaling scaling) {
            this(name, zip, hash, scaling, SoftTargetSchema.FEATURES);
        }

        /** A model trained on unscaled features. */
        public NamedModel(String name, byte[] zip, String hash) {
            this(name, zip, hash, FeatureScaling.NONE);
        }
    }

    /**
     * Every model reading {@code features}, of width {@code inputWidth}; see the other overload.
     *
     * @param teacher name of the model whose probabilities are the reference for agreement and KL, or null
     */
    public static EvaluationResult evaluate(JavaSparkContext sc, Dataset<Row> test, List<NamedModel> models,
                                            String teacher, int numClasses, int inputWidth, int batchSize,
                                            int eceBins) {
        return evaluate(sc, test, models, teacher, numClasses, Map.of(SoftTargetSchema.FEATURES, inputWidth),
                batchSize, eceBins);
    }

    /**
     * Evaluates {@code models} in one pass over {@code test}, each on its own column.
     *
     * @param teacher name of the model whose probabilities are the reference for agreement and KL, or null
     * @param widths  the width of every column a model reads
     */
    public static EvaluationResult evaluate(JavaSparkContext sc, Dataset<Row> test, List<NamedModel> models,
                                            String teacher, int numClasses, Map<String, Integer> widths,
                                            int batchSize, int eceBins) {
        Map<String, byte[]> zips = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        Map<String, FeatureScaling> scalings = new LinkedHashMap<>();
        Map<String, String> columnOf = new LinkedHashMap<>();
        List<String> columns = new ArrayList<>();
        for (NamedModel m : models) {
            zips.put(m.name(), m.zip());
            hashes.put(m.name(), m.hash());
            scalings.put(m.name(), m.scaling());
            columnOf.put(m.name(), m.column());
            if (!columns.contains(m.column())) {
                columns.add(m.column());
            }
            if (!widths.containsKey(m.column())) {
                throw new IllegalArgumentException("no width given for column " + m.column() + " of " + m.name());
            }
        }
        // Only the columns read travel: the label, then each distinct input column once, however many models read it.
        Map<String, Integer> read = new LinkedHashMap<>();
        columns.forEach(c -> read.put(c, widths.get(c)));
        org.apache.spark.sql.Column[] selected = new org.apache.spark.sql.Column[columns.size() + 1];
        selected[0] = org.apache.spark.sql.functions.col(SoftTargetSchema.LABEL);
        for (int i = 0; i < columns.size(); i++) {
            selected[i + 1] = org.apache.spark.sql.functions.col(columns.get(i));
        }
        Broadcast<Map<String, byte[]>> broadcast = sc.broadcast(zips);
        try {
            return test.select(selected).javaRDD()
                    .mapPartitions(rows -> List.of(evaluatePartition(rows, broadcast.value(), hashes, scalings,
                            columnOf, teacher, numClasses, read, batchSize, eceBins)).iterator())
                    .treeReduce(EvaluationResult::merge);
        } finally {
            broadcast.destroy();
        }
    }

    private static EvaluationResult evaluatePartition(Iterator<Row> rows, Map<String, byte[]> zips,
                                                      Map<String, String> hashes,
                                                      Map<String, FeatureScaling> scalings,
                                                      Map<String, String> columnOf, String teacher, int numClasses,
                                                      Map<String, Integer> widths, int batchSize, int eceBins) {
        Map<String, MultiLayerNetwork> nets = new LinkedHashMap<>();
        zips.forEach((name, zip) -> nets.put(name,
                ExecutorModelCache.get(hashes.get(name), zip, "eval", net -> net)));
        EvaluationResult result = new EvaluationResult();
        for (String name : nets.keySet()) {
            result.metrics(name, numClasses, eceBins);
        }
        List<Row> batch = new ArrayList<>(batchSize);
        boolean warm = false;
        while (rows.hasNext()) {
            batch.add(rows.next());
            if (batch.size() == batchSize || !rows.hasNext()) {
                evaluateBatch(batch, nets, scalings, columnOf, teacher, result, numClasses, widths, eceBins, warm);
                warm = true;
                batch.clear();
            }
        }
        return result;
    }

    private static void evaluateBatch(List<Row> batch, Map<String, MultiLayerNetwork> nets,
                                      Map<String, FeatureScaling> scalings, Map<String, String> columnOf,
                                      String teacher, EvaluationResult result, int numClasses,
                                      Map<String, Integer> widths, int eceBins, boolean warm) {
        int n = batch.size();
        int[] labels = new int[n];
        for (int r = 0; r < n; r++) {
            labels[r] = batch.get(r).getInt(0);
        }
        // One host copy per input column (fields 1.. in the order of widths, as selected).
        Map<String, float[]> inputs = new LinkedHashMap<>();
        int field = 1;
        for (Map.Entry<String, Integer> c : widths.entrySet()) {
            int width = c.getValue();
            float[] x = new float[n * width];
            for (int r = 0; r < n; r++) {
                List<Float> f = batch.get(r).getList(field);
                for (int i = 0; i < width; i++) {
                    x[r * width + i] = f.get(i);
                }
            }
            inputs.put(c.getKey(), x);
            field++;
        }
        // Each model sees its column scaled as it was trained; models sharing column and statistics share one copy.
        Map<String, INDArray> scaled = new LinkedHashMap<>();
        Map<String, double[][]> probabilities = new LinkedHashMap<>();
        for (Map.Entry<String, MultiLayerNetwork> e : nets.entrySet()) {
            FeatureScaling scaling = scalings.get(e.getKey());
            String column = columnOf.get(e.getKey());
            int width = widths.get(column);
            INDArray features = scaled.computeIfAbsent(column + "/" + scaling.hash(), h -> {
                float[] copy = inputs.get(column).clone();
                scaling.applyInPlace(copy, width);
                return Nd4j.create(copy, new long[]{n, width}, 'c');
            });
            if (!warm) {
                // One untimed pass per model first: a model's first forward pass in a JVM allocates its
                // workspaces and warms the JIT, which with a test set of one batch per partition would be all
                // that is timed, and would favour whichever model ran later.
                e.getValue().output(features, false);
            }
            long t0 = System.nanoTime();
            INDArray out = e.getValue().output(features, false);
            result.addForwardNanos(e.getKey(), System.nanoTime() - t0);
            probabilities.put(e.getKey(), HostArrays.doubleRows(out));
        }
        Map<String, int[]> predicted = new LinkedHashMap<>();
        probabilities.forEach((name, p) -> {
            int[] classes = new int[n];
            for (int r = 0; r < n; r++) {
                classes[r] = io.distillery.loss.SoftmaxMath.argmax(p[r]);
            }
            predicted.put(name, classes);
        });
        result.addPredictions(predicted);
        double[][] reference = teacher == null ? null : probabilities.get(teacher);
        for (Map.Entry<String, double[][]> e : probabilities.entrySet()) {
            ClassificationMetrics m = result.metrics(e.getKey(), numClasses, eceBins);
            for (int r = 0; r < n; r++) {
                m.add(e.getValue()[r], labels[r], reference == null ? null : reference[r]);
            }
        }
    }
}
