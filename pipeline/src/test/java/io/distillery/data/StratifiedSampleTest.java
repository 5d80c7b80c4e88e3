package io.distillery.data;

import io.distillery.config.DistilleryException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StratifiedSampleTest {
    private static final int[] LABELS = new int[1000];

    static {
        for (int i = 0; i < LABELS.length; i++) {
            LABELS[i] = (i * 7) % 10;
        }
    }

    @Test
    void sameCountPerClassSortedAndReproducible() {
        int[] a = StratifiedSample.indices(LABELS, 200, 1);
        int[] counts = new int[10];
        Arrays.stream(a).forEach(i -> counts[LABELS[i]]++);
        assertArrayEquals(new int[]{20, 20, 20, 20, 20, 20, 20, 20, 20, 20}, counts);
        assertArrayEquals(Arrays.stream(a).sorted().toArray(), a);
        assertEquals(200, Arrays.stream(a).distinct().count());
        assertArrayEquals(a, StratifiedSample.indices(LABELS, 200, 1));
        assertFalse(Arrays.equals(a, StratifiedSample.indices(LABELS, 200, 2)));
    }

    @Test
    void rejectsSizesThatCannotBeStratified() {
        assertThrows(DistilleryException.class, () -> StratifiedSample.indices(LABELS, 205, 1));
        assertThrows(DistilleryException.class, () -> StratifiedSample.indices(LABELS, 2000, 1));
    }
}
