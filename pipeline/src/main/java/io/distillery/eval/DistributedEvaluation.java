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
 * rows. The rows never reach the driver; only the mergeable {@link EvaluationResult}s do.
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
     */
    public record NamedModel(String name, byte[] zip, String hash, FeatureScaling scaling) {
        /** A model trained on unscaled features. */
        public NamedModel(String name, byte[] zip, String hash) {
            this(name, zip, hash, FeatureScaling.NONE);
        }
    }

    /**
     * @param teacher name of the model whose probabilities are the reference for agreement and KL, or null
     */
    public static EvaluationResult evaluate(JavaSparkContext sc, Dataset<Row> test, List<NamedModel> models,
                                            String teacher, int numClasses, int inputWidth, int batchSize,
                                            int eceBins) {
        Map<String, byte[]> zips = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        Map<String, FeatureScaling> scalings = new LinkedHashMap<>();
        for (NamedModel m : models) {
            zips.put(m.name(), m.zip());
            hashes.put(m.name(), m.hash());
            scalings.put(m.name(), m.scaling());
        }
        Broadcast<Map<String, byte[]>> broadcast = sc.broadcast(zips);
        try {
            return test.select(SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES).javaRDD()
                    .mapPartitions(rows -> List.of(evaluatePartition(rows, broadcast.value(), hashes, scalings, teacher,
                            numClasses, inputWidth, batchSize, eceBins)).iterator())
                    .treeReduce(EvaluationResult::merge);
        } finally {
            broadcast.destroy();
        }
    }

    private static EvaluationResult evaluatePartition(Iterator<Row> rows, Map<String, byte[]> zips,
                                                      Map<String, String> hashes,
                                                      Map<String, FeatureScaling> scalings, String teacher,
                                                      int numClasses,
                                                      int inputWidth, int batchSize, int eceBins) {
        Map<String, MultiLayerNetwork> nets = new LinkedHashMap<>();
        zips.forEach((name, zip) -> nets.put(name,
                ExecutorModelCache.get(hashes.get(name), zip, "eval", net -> net)));
        EvaluationResult result = new EvaluationResult();
        for (String name : nets.keySet()) {
            result.metrics(name, numClasses, eceBins);
        }
        List<Row> batch = new ArrayList<>(batchSize);
        while (rows.hasNext()) {
            batch.add(rows.next());
            if (batch.size() == batchSize || !rows.hasNext()) {
                evaluateBatch(batch, nets, scalings, teacher, result, numClasses, inputWidth, eceBins);
                batch.clear();
            }
        }
        return result;
    }

    private static void evaluateBatch(List<Row> batch, Map<String, MultiLayerNetwork> nets,
                                      Map<String, FeatureScaling> scalings, String teacher,
                                      EvaluationResult result, int numClasses, int inputWidth, int eceBins) {
        int n = batch.size();
        float[] x = new float[n * inputWidth];
        int[] labels = new int[n];
        for (int r = 0; r < n; r++) {
            labels[r] = batch.get(r).getInt(0);
            List<Float> f = batch.get(r).getList(1);
            for (int i = 0; i < inputWidth; i++) {
                x[r * inputWidth + i] = f.get(i);
            }
        }
        // Each model sees the rows scaled as it was trained; models sharing statistics share one scaled copy.
        Map<String, INDArray> scaled = new LinkedHashMap<>();
        Map<String, double[][]> probabilities = new LinkedHashMap<>();
        for (Map.Entry<String, MultiLayerNetwork> e : nets.entrySet()) {
            FeatureScaling scaling = scalings.get(e.getKey());
            INDArray features = scaled.computeIfAbsent(scaling.hash(), h -> {
                float[] copy = x.clone();
                scaling.applyInPlace(copy, inputWidth);
                return Nd4j.create(copy, new long[]{n, inputWidth}, 'c');
            });
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
