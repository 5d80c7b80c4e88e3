package io.distillery.data;

import io.distillery.config.DistilleryException;
import io.distillery.config.OutOfMemory;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link SparkFailures} blames on the input, and what it leaves alone. */
class SparkFailuresTest {
    @Test
    void aTaskOutOfMemoryWhileReadingIsNotBadInput() {
        SparkException e = new SparkException("Job aborted due to stage failure: Lost task 0.0 in stage 1.0 "
                + "(TID 1) (127.0.0.1 executor driver): java.lang.OutOfMemoryError: Java heap space");
        RuntimeException r = SparkFailures.wrap("/data/train", e);
        assertFalse(r instanceof DistilleryException, r::toString);
        assertSame(e, r.getCause(), "passed on (a checked SparkException in an unchecked wrapper)");
        assertTrue(OutOfMemory.find(r).isPresent());
    }

    @Test
    void aCorruptFileIsBadInputNamingThePath() {
        RuntimeException r = SparkFailures.wrap("/data/train", new SparkException("Job aborted: "
                + "file:/data/train/part-0.parquet is not a Parquet file"));
        assertTrue(r instanceof DistilleryException && r.getMessage().contains("'/data/train' could not be read"),
                r.getMessage());
    }
}
