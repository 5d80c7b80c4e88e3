package io.distillery.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockLayoutTest {

    @Test
    void oneBlockPerWorkerIsTheOrderOfOneWholePartitionPerWorker() {
        // 150 rows per worker, minibatches of 32 (5, the last of 22 rows), 4 per round: rounds [0, 4) and [4, 5).
        BlockLayout layout = new BlockLayout(2, new int[]{150, 150});
        assertEquals(2, layout.roundsPerEpoch(32, 4));
        for (int epoch = 0; epoch < 3; epoch++) {
            BlockLayout.RoundPlan first = layout.plan(7, epoch, 0, 32, 4);
            assertArrayEquals(new int[]{0, 1}, first.blocks());
            assertArrayEquals(new int[]{0, 1}, first.workers());
            assertArrayEquals(new int[]{0, 0}, first.firstBatch());
            assertArrayEquals(new int[]{4, 4}, first.lastBatch());
            BlockLayout.RoundPlan second = layout.plan(7, epoch, 1, 32, 4);
            assertArrayEquals(new int[]{4, 4}, second.firstBatch());
            assertArrayEquals(new int[]{5, 5}, second.lastBatch());
            assertArrayEquals(new int[]{0}, layout.visitingOrder(7, epoch, 0));
            assertArrayEquals(new int[]{1}, layout.visitingOrder(7, epoch, 1));
        }
    }

    @Test
    void aWorkerGoesThroughItsBlocksOneAtATimeInTheEpochsOrder() {
        // Worker 0: blocks of 100 rows (4 minibatches of 32: 2 rounds of 2) and 70 (3: rounds of 2 and 1).
        // Worker 1: 64 rows (2 minibatches: 1 round) and 33 (2 minibatches, the second of one row: 1 round).
        BlockLayout layout = new BlockLayout(2, new int[]{100, 70, 64, 33});
        assertEquals(2, layout.blocksPerWorker());
        assertEquals(0, layout.worker(1));
        assertEquals(1, layout.worker(2));
        assertEquals(170, layout.rowsOf(0));
        assertEquals(97, layout.rowsOf(1));
        assertEquals(4, layout.roundsPerEpoch(32, 2));
        for (int epoch = 0; epoch < 4; epoch++) {
            int[] order0 = layout.visitingOrder(11, epoch, 0);
            int[] order1 = layout.visitingOrder(11, epoch, 1);
            assertEquals(Set.of(0, 1), Set.of(order0[0], order0[1]));
            assertEquals(Set.of(2, 3), Set.of(order1[0], order1[1]));
            // Worker 0's four rounds, by hand from its visiting order.
            List<String> expected0 = new ArrayList<>();
            for (int block : order0) {
                if (block == 0) {
                    expected0.addAll(List.of("0:0-2", "0:2-4"));
                } else {
                    expected0.addAll(List.of("1:0-2", "1:2-3"));
                }
            }
            List<String> expected1 = new ArrayList<>();
            for (int block : order1) {
                expected1.add(block + ":0-2");
            }
            List<String> seen0 = new ArrayList<>();
            List<String> seen1 = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                BlockLayout.RoundPlan plan = layout.plan(11, epoch, round, 32, 2);
                assertTrue(plan.blocks().length <= 2, "at most one block per worker in a round");
                for (int i = 0; i < plan.blocks().length; i++) {
                    assertEquals(layout.worker(plan.blocks()[i]), plan.workers()[i]);
                    String read = plan.blocks()[i] + ":" + plan.firstBatch()[i] + "-" + plan.lastBatch()[i];
                    (plan.workers()[i] == 0 ? seen0 : seen1).add(read);
                }
                if (plan.blocks().length == 2) {
                    assertTrue(plan.blocks()[0] < plan.blocks()[1], "blocks ascending");
                }
            }
            assertEquals(expected0, seen0, "epoch " + epoch);
            assertEquals(expected1, seen1, "epoch " + epoch + ": worker 1 sits out rounds 2 and 3");
        }
    }

    @Test
    void theVisitingOrderChangesWithTheEpochAndIsFixedByTheSeed() {
        BlockLayout layout = new BlockLayout(1, new int[]{10, 10, 10, 10, 10, 10});
        Set<String> orders = new HashSet<>();
        for (int epoch = 0; epoch < 10; epoch++) {
            int[] order = layout.visitingOrder(3, epoch, 0);
            assertArrayEquals(order, layout.visitingOrder(3, epoch, 0));
            int[] sorted = order.clone();
            Arrays.sort(sorted);
            assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, sorted);
            orders.add(Arrays.toString(order));
        }
        assertTrue(orders.size() > 5, "orders over 10 epochs: " + orders);
    }

    @Test
    void blocksMustBeSharedEvenlyByTheWorkers() {
        assertThrows(IllegalArgumentException.class, () -> new BlockLayout(2, new int[]{1, 2, 3}));
    }

    @Test
    void blocksPerWorkerKeepEachBlockWithinItsSize() {
        // 1,000 rows of 100 bytes on 2 workers in blocks of 10,000 bytes: 500 rows per worker, 100 per block.
        assertEquals(5, TrainingBlocks.blocksPerWorker(1000, 2, 100, 10_000));
        assertEquals(6, TrainingBlocks.blocksPerWorker(1001, 2, 100, 10_000));
        assertEquals(1, TrainingBlocks.blocksPerWorker(0, 2, 100, 10_000));
        assertEquals(1, TrainingBlocks.blocksPerWorker(1000, 2, 100, 1L << 30));
        assertEquals(500, TrainingBlocks.blocksPerWorker(1000, 2, 100, 50), "a block holds at least one row");
    }
}
