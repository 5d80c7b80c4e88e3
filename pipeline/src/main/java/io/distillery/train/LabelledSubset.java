package io.distillery.train;

/**
 * Which rows keep their label when only a fraction of the training set is labelled: a pure function of the row id
 * and the seed, so the distilled student and its baseline see exactly the same labelled rows, on any partitioning.
 */
public final class LabelledSubset {
    private LabelledSubset() {
    }

    public static boolean isLabelled(long id, long seed, double fraction) {
        if (fraction >= 1.0) {
            return true;
        }
        long h = id * 0x9E3779B97F4A7C15L ^ seed;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }
}
