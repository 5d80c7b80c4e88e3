package io.distillery.train;

import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.loss.CoDistillationLoss;
import io.distillery.loss.TermSpec;
import io.distillery.model.ModelFactory;
import io.distillery.store.ArtifactFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two models co-distilled on real Spark ({@code local[2]}): the exchange schedule as the workers report it (burn-in
 * respected, each round reading the latest snapshot of the other model), the every-round exchange of mutual
 * learning, a resume from a checkpoint in the middle of an exchange period ending exactly where an uninterrupted
 * run ends, and disjoint shards training each model on its own partition only.
 */
class CoDistillationRoundsTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;
    /** 2 partitions of 300 rows: 10 minibatches of 32, averaged every 4, so 3 rounds per epoch. */
    private static JavaRDD<TrainingBlock> blocks;

    @BeforeAll
    static void start() {
        spark = io.distillery.testing.LocalSpark.session(CoDistillationRoundsTest.class);
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        blocks = RoundLoopTest.blobsOn(sc, 300, 1).persist(StorageLevel.MEMORY_ONLY());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Network model(long seed) {
        ModelSpec spec = new ModelSpec(List.of(new LayerSpec("dense", "hidden", 16, 2, 1, "relu", 0)), "adam", 0.01,
                0, 0, 0);
        return Network.of(ModelFactory.build(spec, 8, List.of(), 3, new CoDistillationLoss(
                List.of(new TermSpec("ce", 1.0, Map.of())),
                List.of(new TermSpec("kd", 1.0, Map.of("temperature", 1.0))), 3, false), seed));
    }

    private record Run(TrainingState state, SnapshotExchange exchange, List<Long> batches) {
    }

    private static Run run(int period, long burnIn, double weight, boolean shards, int epochs,
                           TrainingState start, List<RoundListener> extra) {
        return run(blocks, "a", period, burnIn, weight, shards, epochs, start, extra);
    }

    /** As above on {@code data}, recording the minibatches per round of model {@code counted}. */
    private static Run run(JavaRDD<TrainingBlock> data, String counted, int period, long burnIn, double weight,
                           boolean shards, int epochs, TrainingState start, List<RoundListener> extra) {
        Network a = model(1);
        Network b = model(2);
        List<TrainedModel> models = List.of(
                new TrainedModel("a", a.blueprint(), new int[]{0, 3}, shards ? new int[]{0} : new int[0]),
                new TrainedModel("b", b.blueprint(), new int[]{0, 3}, shards ? new int[]{1} : new int[0]));
        Map<String, ModelState> fresh = new LinkedHashMap<>();
        fresh.put("a", ModelState.of(a));
        fresh.put("b", ModelState.of(b));
        SnapshotExchange exchange = new SnapshotExchange(period, burnIn);
        CoDistillationStep step = new CoDistillationStep(SnapshotExchange.allOthers(List.of("a", "b")),
                CoDistillationStep.Target.MEAN_PROBABILITY, 1.0, weight, burnIn, 3);
        List<Long> batches = new ArrayList<>();
        List<RoundListener> listeners = new ArrayList<>();
        listeners.add(exchange);
        listeners.add(new RoundListener() {
            @Override
            public void onRound(TrainingState s, Map<String, RoundEngine.RoundOutcome> outcome) {
                batches.add(outcome.get(counted).batches());
            }
        });
        listeners.addAll(extra);
        try (AveragingEngine engine = new AveragingEngine(sc, TrainingBlocks.onePerWorker(data), models, step, 7, 32, 4)) {
            TrainingState end = new RoundLoop(engine, listeners, epochs)
                    .run(start == null ? new TrainingState(fresh) : start);
            return new Run(end, exchange, batches);
        }
    }

    @Test
    void scheduleRespectsBurnInAndReadsTheLatestSnapshot() {
        Run r = run(3, 4, 1.0, false, 3, null, List.of());
        assertEquals(9, r.state().round());
        assertEquals(List.of("0\ta\t-", "0\tb\t-", "1\ta\t-", "1\tb\t-", "2\ta\t-", "2\tb\t-",
                        "3\ta\t-", "3\tb\t-",
                        "4\ta\tpeer:b@4 w=1.0", "4\tb\tpeer:a@4 w=1.0", "5\ta\tpeer:b@4 w=1.0", "5\tb\tpeer:a@4 w=1.0",
                        "6\ta\tpeer:b@4 w=1.0", "6\tb\tpeer:a@4 w=1.0", "7\ta\tpeer:b@7 w=1.0", "7\tb\tpeer:a@7 w=1.0",
                        "8\ta\tpeer:b@7 w=1.0", "8\tb\tpeer:a@7 w=1.0"),
                r.exchange().schedule());
        assertEquals(2, r.state().exchanges());
        HeldOutAccuracy heldOut = new HeldOutAccuracy(sc, TrainingBlocks.onePerWorker(RoundLoopTest.blobsOn(sc, 200, 2)), 3, 256);
        for (String m : List.of("a", "b")) {
            double accuracy = heldOut.of(model(1).blueprint(), r.state().model(m));
            assertTrue(accuracy > 0.9, m + " held-out accuracy " + accuracy);
        }
    }

    @Test
    void mutualLearningExchangesEveryRoundFromTheStart() {
        Run r = run(1, 0, 1.0, false, 1, null, List.of());
        assertEquals(List.of("0\ta\tpeer:b@0 w=1.0", "0\tb\tpeer:a@0 w=1.0", "1\ta\tpeer:b@1 w=1.0",
                "1\tb\tpeer:a@1 w=1.0", "2\ta\tpeer:b@2 w=1.0", "2\tb\tpeer:a@2 w=1.0"), r.exchange().schedule());
        // The peer term changes what is learnt: without it the same run ends elsewhere.
        Run alone = run(1, 0, 0.0, false, 1, null, List.of());
        assertFalse(java.util.Arrays.equals(r.state().model("a").params(), alone.state().model("a").params()));
    }

    @Test
    void resumeMidExchangePeriodEndsWhereAnUninterruptedRunEnds(@TempDir Path dir) {
        Run straight = run(3, 2, 1.0, false, 3, null, List.of());
        // Checkpoints every 4 rounds: round 4 lies between the exchanges at rounds 2 and 5. The run dies after
        // round 6, having exchanged once more since that checkpoint.
        Checkpoints ckpt = new Checkpoints(ArtifactFiles.local(), dir.toString());
        RoundListener save = new CheckpointListener(ckpt, RoundLoopTest.provenance(), 4);
        RoundListener crash = new RoundListener() {
            @Override
            public void onRound(TrainingState s, Map<String, RoundEngine.RoundOutcome> outcome) {
                if (s.round() == 6) {
                    throw new IllegalStateException("simulated driver death after round 6");
                }
            }
        };
        assertThrows(IllegalStateException.class, () -> run(3, 2, 1.0, false, 3, null, List.of(save, crash)));
        TrainingState saved = ckpt.latest().orElseThrow();
        assertEquals(4, saved.round());
        assertEquals(1, saved.roundInEpoch());
        assertEquals(2, saved.frozen().get("peer:a").round());
        Run resumed = run(3, 2, 1.0, false, 3, saved, List.of());
        for (String m : List.of("a", "b")) {
            assertArrayEquals(straight.state().model(m).params(), resumed.state().model(m).params(), 0f, m);
            assertArrayEquals(straight.state().model(m).updater(), resumed.state().model(m).updater(), 0f, m);
        }
        assertEquals(straight.state().exchanges(), resumed.state().exchanges());
    }

    @Test
    void shardsTrainEachModelOnItsOwnPartition() {
        Run shared = run(3, 0, 1.0, false, 1, null, List.of());
        Run sharded = run(3, 0, 1.0, true, 1, null, List.of());
        // Every round, model a fits 4 (then 2) minibatches of each of 2 partitions, or of its own partition only.
        assertEquals(List.of(8L, 8L, 4L), shared.batches());
        assertEquals(List.of(4L, 4L, 2L), sharded.batches());
    }

    @Test
    void aShardSmallerThanTheLargestPartitionSitsOutItsLastRounds() {
        // Partition 0: 300 rows (10 minibatches, 3 rounds); partition 1: 200 rows (7 minibatches, 2 rounds).
        List<TrainingBlock> parts = RoundLoopTest.blobsOn(sc, 300, 3).collect();
        TrainingBlock small = parts.get(1);
        float[] x = small.features(0, 200).data().asFloat();
        float[] y = new float[200 * 3];
        for (int r = 0; r < 200; r++) {
            System.arraycopy(small.labelRow(r), 0, y, 3 * r, 3);
        }
        JavaRDD<TrainingBlock> unequal = sc.parallelize(List.of(parts.get(0), new TrainingBlock(200, 8, 3, x, y)), 2);
        Run r = run(unequal, "b", 3, 0, 1.0, true, 2, null, List.of());
        assertEquals(6, r.state().round());
        assertEquals(List.of(4L, 3L, 0L, 4L, 3L, 0L), r.batches(), "model b fits nothing in its shard's 3rd rounds");
    }
}
