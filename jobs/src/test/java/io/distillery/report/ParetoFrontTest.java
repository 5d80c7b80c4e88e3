package io.distillery.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Pareto front: dominated points off it, ties and NaN handled, ordered for drawing. */
class ParetoFrontTest {

    @Test
    void keepsExactlyTheNonDominatedPoints() {
        // (speed, accuracy): 0 and 3 trade off; 1 is beaten by 0 on both; 2 is beaten by 3 on accuracy at equal speed.
        double[] speed = {100, 90, 50, 50, 10};
        double[] accuracy = {0.70, 0.60, 0.75, 0.80, 0.80};
        // 4 ties 3 on accuracy but is slower: dominated.
        assertEquals(List.of(3, 0), ParetoFront.of(speed, accuracy));
    }

    @Test
    void aCostIsMinimizedByNegatingIt() {
        double[] accuracy = {0.60, 0.70, 0.72, 0.65};
        double[] fewer = {-1_000, -5_000, -20_000, -4_000};  // parameters, negated
        // 3 (4,000 parameters, 0.65) is on the front: only 0 is smaller, and it is less accurate.
        assertEquals(List.of(2, 1, 3, 0), ParetoFront.of(fewer, accuracy));
        double[] worse = {0.60, 0.70, 0.72, 0.59};
        assertEquals(List.of(2, 1, 0), ParetoFront.of(fewer, worse), "a larger, less accurate point is off it");
    }

    @Test
    void equalPointsAreAllKeptAndNanIsNeverOnIt() {
        assertEquals(List.of(0, 1), ParetoFront.of(new double[]{1, 1, Double.NaN}, new double[]{2, 2, 9}));
        assertEquals(List.of(), ParetoFront.of(new double[0], new double[0]));
        assertThrows(IllegalArgumentException.class, () -> ParetoFront.of(new double[1], new double[2]));
    }
}
