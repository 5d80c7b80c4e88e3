package io.distillery.train;

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
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Early stopping on real rounds ({@code local[2]}) with a constructed validation curve: training stops once the
 * metric has not improved for {@code patience} epochs, the kept state is the best epoch's, and a resume from a
 * checkpoint taken after the best epoch still exports that epoch. The split helper holds out a stable fraction.
 */
class EarlyStoppingTest {
    private static SparkSession spark;
    private static JavaSparkContext sc;
    private static JavaRDD<TrainingBlock> blocks;

    @BeforeAll
    static void start() {
        spark = io.distillery.testing.LocalSpark.session(EarlyStoppingTest.class);
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        blocks = RoundLoopTest.blobsOn(sc, 200, 1).persist(StorageLevel.MEMORY_ONLY());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Validation accuracies of epochs 1, 2, 3, ...: best at epoch 2, then no improvement. */
    private static Iterator<Double> curve() {
        return List.of(0.50, 0.80, 0.70, 0.75, 0.80, 0.95, 0.99).iterator();
    }

    private static TrainingState train(TrainingState start, Iterator<Double> curve, Checkpoints ckpt,
                                       List<ModelState> afterEachEpoch) {
        Network fresh = Network.of(RoundLoopTest.freshNet());
        TrainedModel m = new TrainedModel("m", fresh.blueprint(), new int[]{0, 3}, new int[0]);
        RoundListener record = new RoundListener() {
            @Override
            public void onEpoch(TrainingState s, Map<String, Double> meanLoss) {
                afterEachEpoch.add(s.model("m"));
            }
        };
        List<RoundListener> listeners = List.of(new ProgressLog("test", 10, e -> curve.next()),
                new EarlyStopping("test", 3), record, new CheckpointListener(ckpt, RoundLoopTest.provenance(), 0));
        try (AveragingEngine engine = new AveragingEngine(sc, TrainingBlocks.onePerWorker(blocks), List.of(m), RoundStep.FIT, 7, 32, 4)) {
            return new RoundLoop(engine, listeners, 10).run(
                    start != null ? start : new TrainingState(Map.of("m", ModelState.of(fresh))));
        }
    }

    @Test
    void stopsAfterPatienceAndKeepsTheBestEpoch(@TempDir Path dir) {
        List<ModelState> epochs = new ArrayList<>();
        TrainingState end = train(null, curve(), new Checkpoints(ArtifactFiles.local(), dir.toString()), epochs);
        // Best at epoch 2; epochs 3, 4, 5 do not beat 0.80 (a tie is no improvement): stop after epoch 5.
        assertEquals(5, end.epoch());
        assertEquals(2.0, end.metrics().get(EarlyStopping.bestEpochKey("m")));
        assertEquals(0.80, end.metrics().get(EarlyStopping.bestAccuracyKey("m")));
        assertArrayEquals(epochs.get(1).params(), EarlyStopping.best(end, "m").params(), 0f);
        assertTrue(end.model("m") != EarlyStopping.best(end, "m"), "the last state is not the best");
    }

    @Test
    void aResumeKeepsTheBestEpochFromTheCheckpoint(@TempDir Path dir) {
        Checkpoints ckpt = new Checkpoints(ArtifactFiles.local(), dir.toString());
        List<ModelState> straight = new ArrayList<>();
        TrainingState once = train(null, curve(), new Checkpoints(ArtifactFiles.local(),
                dir.resolve("straight").toString()), straight);
        // A run that stops after 3 epochs (a curve that ends), checkpointed; then resumed with the rest of the curve.
        Iterator<Double> head = List.of(0.50, 0.80, 0.70).iterator();
        try {
            train(null, head, ckpt, new ArrayList<>());
        } catch (java.util.NoSuchElementException expected) {
            // the curve ran out after epoch 3, as a killed driver would stop
        }
        TrainingState saved = ckpt.latest().orElseThrow();
        assertEquals(3, saved.epoch());
        Iterator<Double> rest = List.of(0.75, 0.80, 0.95, 0.99).iterator();
        TrainingState resumed = train(saved, rest, ckpt, new ArrayList<>());
        assertEquals(once.epoch(), resumed.epoch());
        assertArrayEquals(EarlyStopping.best(once, "m").params(), EarlyStopping.best(resumed, "m").params(), 0f);
    }

    @Test
    void aResumeKeepsTheHistoryOfTheEpochsBeforeIt(@TempDir Path dir) {
        Checkpoints ckpt = new Checkpoints(ArtifactFiles.local(), dir.toString());
        try {
            train(null, List.of(0.50, 0.80).iterator(), ckpt, new ArrayList<>());
        } catch (java.util.NoSuchElementException expected) {
            // the curve ran out after epoch 2, as a killed driver would stop
        }
        TrainingState saved = ckpt.latest().orElseThrow();
        assertEquals(List.of(1, 2), saved.history("m").stream().map(EpochRecord::epoch).toList());
        TrainingState resumed = train(saved, List.of(0.70, 0.75, 0.80).iterator(), ckpt, new ArrayList<>());
        List<EpochRecord> history = resumed.history("m");
        assertEquals(List.of(1, 2, 3, 4, 5), history.stream().map(EpochRecord::epoch).toList());
        assertEquals(List.of(0.50, 0.80, 0.70, 0.75, 0.80),
                history.stream().map(EpochRecord::heldOutAccuracy).toList());
        for (EpochRecord e : history) {
            assertTrue(Double.isFinite(e.loss()) && e.loss() > 0, "loss of " + e);
            assertTrue(e.seconds() >= 0, "seconds of " + e);
        }
        // history.json: the same epochs, the kept epoch (2) and nulls for nothing measured.
        Map<String, Object> doc = HistoryFile.document("m", history, 2);
        assertEquals(5, doc.get("epochsTrained"));
        assertEquals(2, doc.get("bestEpoch"));
        HistoryFile.write(ArtifactFiles.local(), dir.toString(), doc);
        Map<String, Object> back = HistoryFile.read(ArtifactFiles.local(), dir.toString());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) back.get("epochs");
        assertEquals(0.75, ((Number) epochs.get(3).get("heldOutAccuracy")).doubleValue(), 0);
        assertEquals(history.get(0).loss(), ((Number) epochs.get(0).get("loss")).doubleValue(), 0);
        Map<String, Object> unmeasured = HistoryFile.document("m", List.of(new EpochRecord(1, 0.5, Double.NaN, 1)),
                null);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = ((List<Map<String, Object>>) unmeasured.get("epochs")).get(0);
        assertEquals(null, first.get("heldOutAccuracy"));
    }

    @Test
    void theSplitHoldsOutAStableFraction() {
        int held = 0;
        for (long id = 0; id < 100_000; id++) {
            if (ValidationSplit.isValidation(id, 0.1)) {
                held++;
                assertTrue(ValidationSplit.isValidation(id, 0.2), "a larger fraction keeps the smaller one's rows");
            }
        }
        assertEquals(10_000, held, 300);
        assertEquals(false, ValidationSplit.isValidation(42, 0.0));
    }
}
