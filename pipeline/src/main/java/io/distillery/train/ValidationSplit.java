package io.distillery.train;

/**
 * Which training rows are held out for validation: a pure function of the row id and the fraction, with a salt of
 * its own, so the same rows are held out for the teacher, the student, the baseline and every scheme, for every
 * seed and on any partitioning, and the choice is independent of {@link LabelledSubset}'s.
 */
public final class ValidationSplit {
    /** Decorrelates the split from the labelled subset, which hashes the id with the run's seed. */
    private static final long SALT = 0x5DEECE66DL * 0x9E3779B97F4A7C15L;

    private ValidationSplit() {
    }

    /** Whether row {@code id} belongs to the validation rows when {@code fraction} of the rows are held out. */
    public static boolean isValidation(long id, double fraction) {
        if (fraction <= 0.0) {
            return false;
        }
        long h = (id ^ SALT) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 31)) * 0x94D049BB133111EBL;
        h ^= h >>> 29;
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }
}
