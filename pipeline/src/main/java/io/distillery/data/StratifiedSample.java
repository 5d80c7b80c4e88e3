package io.distillery.data;

import io.distillery.config.DistilleryException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * Picks the same number of rows from every class, reproducibly from a seed. Plain Java over the label array, so the
 * sample is identical whatever Spark's partitioning (Spark's {@code sampleBy} draws per partition and yields only
 * approximate counts).
 */
public final class StratifiedSample {
    private StratifiedSample() {
    }

    /**
     * Returns the indices (ascending, so that the sample keeps file order) of {@code size / numClasses} rows of each
     * class present in {@code labels}.
     *
     * @throws DistilleryException when {@code size} is not a multiple of the class count or a class is too small
     */
    public static int[] indices(int[] labels, int size, long seed) {
        TreeMap<Integer, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < labels.length; i++) {
            byClass.computeIfAbsent(labels[i], k -> new ArrayList<>()).add(i);
        }
        int classes = byClass.size();
        if (classes == 0 || size % classes != 0) {
            throw new DistilleryException("Sample size " + size + " is not a multiple of the " + classes
                    + " classes in the data; a stratified sample takes the same number of rows from each class.");
        }
        int perClass = size / classes;
        int[] out = new int[size];
        int k = 0;
        for (var e : byClass.entrySet()) {
            List<Integer> rows = e.getValue();
            if (rows.size() < perClass) {
                throw new DistilleryException("Class " + e.getKey() + " has only " + rows.size()
                        + " rows but the stratified sample of " + size + " needs " + perClass + " per class.");
            }
            // One RNG per class derived from the seed, so a class's pick does not depend on the other classes.
            Random rng = new Random(seed * 1_000_003L + e.getKey());
            int[] pick = partialShuffle(rows.stream().mapToInt(Integer::intValue).toArray(), perClass, rng);
            System.arraycopy(pick, 0, out, k, perClass);
            k += perClass;
        }
        Arrays.sort(out);
        return out;
    }

    /** The first {@code n} elements of a Fisher-Yates shuffle of {@code a}. */
    private static int[] partialShuffle(int[] a, int n, Random rng) {
        for (int i = 0; i < n; i++) {
            int j = i + rng.nextInt(a.length - i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return Arrays.copyOf(a, n);
    }
}
