package io.distillery.train;

import io.distillery.testing.LocalSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingBlocksTest {
    private static final int ROWS = 100_000;
    /** 8 features and 3 one-hot labels, 4 bytes each. */
    private static final int ROW_BYTES = 4 * (8 + 3);
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session(TrainingBlocksTest.class);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Rows whose first feature is their id, in two input partitions. */
    private static Dataset<Row> rows() {
        return spark.range(0, ROWS, 1, 2).selectExpr("id", "cast(id % 3 as int) as label",
                "array(cast(id as float), 1f, 2f, 3f, 4f, 5f, 6f, 7f) as features");
    }

    @Test
    void eachWorkersRowsAreSplitIntoBlocksOfAtMostTheBlockSize() {
        // 4.4 MB of rows, 2.2 MB per worker: three blocks of at most 1 MB each.
        TrainingBlocks blocks = TrainingBlocks.pack(rows(), 2, 8, RowLabels.oneHot(3), 1);
        try {
            BlockLayout layout = blocks.layout();
            assertEquals(2, layout.workers());
            assertEquals(3, layout.blocksPerWorker());
            assertEquals(6, blocks.rdd().getNumPartitions());
            List<Float> ids = new ArrayList<>();
            for (TrainingBlock b : blocks.rdd().collect()) {
                // One row more per input partition at most (Spark's round-robin repartition).
                assertTrue((long) b.rows() * ROW_BYTES <= (1 << 20) + 2L * ROW_BYTES, b.rows() + " rows");
                for (int r = 0; r < b.rows(); r++) {
                    ids.add(b.features(r, r + 1).getFloat(0));
                }
            }
            ids.sort(Float::compare);
            assertEquals(ROWS, ids.size());
            for (int i = 0; i < ROWS; i++) {
                assertEquals(i, ids.get(i), 0f, "every row exactly once");
            }
        } finally {
            blocks.unpersist();
        }
    }

    @Test
    void dataThatFitsOneBlockPerWorkerKeepsItsPartitions() {
        TrainingBlocks blocks = TrainingBlocks.pack(rows(), 2, 8, RowLabels.oneHot(3), 64);
        try {
            assertEquals(1, blocks.layout().blocksPerWorker());
            List<TrainingBlock> parts = blocks.rdd().collect();
            assertEquals(2, parts.size());
            for (int p = 0; p < 2; p++) {
                TrainingBlock b = parts.get(p);
                assertEquals(ROWS / 2, b.rows());
                for (int r = 0; r < b.rows(); r += 997) {
                    assertEquals(p * ROWS / 2 + r, b.features(r, r + 1).getFloat(0), 0f, "input order kept");
                    assertEquals(1f, b.labelRow(r)[(p * ROWS / 2 + r) % 3]);
                }
            }
        } finally {
            blocks.unpersist();
        }
    }
}
