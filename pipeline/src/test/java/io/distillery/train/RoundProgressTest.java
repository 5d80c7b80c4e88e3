package io.distillery.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Mid-epoch progress lines: at most one per interval, none at an epoch's end, the epoch's clock and loss reset. */
class RoundProgressTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void logsAtMostOncePerIntervalWithTheEpochsMeanLossSoFar() {
        long[] now = {0};
        List<String> lines = new ArrayList<>();
        RoundProgress progress = new RoundProgress("student", 2, 4, 10 * SECOND, () -> now[0], lines::add);
        TrainingState state = new TrainingState(Map.of("m", ModelState.of(Network.of(RoundLoopTest.freshNet()))));
        progress.onStart(state);
        // Epoch 1: rounds of 6 s, loss 1.0 per minibatch, 5 minibatches a round.
        double[] losses = {5, 5, 5, 5, 2, 2, 2, 2};
        for (int r = 0; r < 8; r++) {
            now[0] += 6 * SECOND;
            state.finishRound();
            if (state.roundInEpoch() == 4) {
                state.finishEpoch();
            }
            progress.onRound(state, Map.of("m", new RoundEngine.RoundOutcome(null, losses[r], 5, Set.of())));
            if (state.roundInEpoch() == 0) {
                now[0] += 100 * SECOND; // held-out evaluation: not part of the next epoch's time
                progress.onEpoch(state, Map.of());
            }
        }
        assertEquals(List.of(
                "student: epoch 1/2, round 2/4 (50%), 10 minibatches, 12.0 s into the epoch, loss 1.0000",
                "student: epoch 2/2, round 2/4 (50%), 10 minibatches, 12.0 s into the epoch, loss 0.4000"), lines);
    }

    @Test
    void aZeroIntervalLogsEveryRoundButTheLast() {
        List<String> lines = new ArrayList<>();
        RoundProgress progress = new RoundProgress("t", 1, 3, 0, () -> 0L, lines::add);
        TrainingState state = new TrainingState(Map.of("m", ModelState.of(Network.of(RoundLoopTest.freshNet()))));
        progress.onStart(state);
        for (int r = 0; r < 3; r++) {
            state.finishRound();
            if (state.roundInEpoch() == 3) {
                state.finishEpoch();
            }
            progress.onRound(state, Map.of("m", new RoundEngine.RoundOutcome(null, 1, 1, Set.of())));
        }
        assertEquals(2, lines.size(), lines::toString);
    }
}
