package io.distillery.train;

import io.distillery.store.SoftTargetSchema;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Packs a dataset (canonical or soft-target store) into one {@link TrainingBlock} per partition, on the executors,
 * and caches the blocks: rows are decoded from Parquet once, then every round and epoch reads the packed arrays.
 */
public final class TrainingBlocks {
    private TrainingBlocks() {
    }

    /**
     * @param partitions number of blocks (workers); the data is repartitioned when it differs
     * @param inputWidth number of features per row
     */
    public static JavaRDD<TrainingBlock> pack(Dataset<Row> data, int partitions, int inputWidth, RowLabels labels) {
        Dataset<Row> parts = data.rdd().getNumPartitions() == partitions ? data : data.repartition(partitions);
        JavaRDD<TrainingBlock> blocks = parts.javaRDD().mapPartitions(rows -> pack(rows, inputWidth, labels));
        return blocks.persist(StorageLevel.MEMORY_AND_DISK());
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
