package io.distillery.config;

import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link OutOfMemory} finds a run out of memory in each form Spark hands it to the driver, and nothing else. */
class OutOfMemoryTest {
    private static OutOfMemory.Found found(Throwable e) {
        Optional<OutOfMemory.Found> f = OutOfMemory.find(e);
        assertTrue(f.isPresent(), "not recognised: " + e);
        return f.get();
    }

    @Test
    void anErrorThrownInTheDriversOwnCode() {
        OutOfMemory.Found f = found(new IllegalStateException("wrapped", new OutOfMemoryError("Java heap space")));
        assertEquals(OutOfMemory.Where.DRIVER, f.where());
        assertEquals("java.lang.OutOfMemoryError: Java heap space", f.evidence());
    }

    @Test
    void aLocalTaskFailureThatCarriesTheErrorAsItsCause() {
        OutOfMemory.Found f = found(new SparkException("Job aborted due to stage failure: Task 0 in stage 3.0 "
                + "failed 1 times", new OutOfMemoryError("Java heap space")));
        assertEquals(OutOfMemory.Where.TASK, f.where());
        assertEquals("java.lang.OutOfMemoryError: Java heap space", f.evidence());
    }

    @Test
    void anExecutorsErrorReportedAsText() {
        OutOfMemory.Found f = found(new SparkException("Job aborted due to stage failure: Task 1 in stage 2.0 "
                + "failed 4 times, most recent failure: Lost task 1.3 in stage 2.0 (TID 9) (10.0.0.7 executor 2): "
                + "java.lang.OutOfMemoryError: GC overhead limit exceeded\n\tat java.base/java.util.Arrays"));
        assertEquals(OutOfMemory.Where.TASK, f.where());
        assertEquals("java.lang.OutOfMemoryError: GC overhead limit exceeded", f.evidence());
        assertEquals("org.apache.spark.memory.SparkOutOfMemoryError: Unable to acquire 65536 bytes of memory, got 0",
                found(new SparkException("Lost task 0.0: org.apache.spark.memory.SparkOutOfMemoryError: Unable to "
                        + "acquire 65536 bytes of memory, got 0")).evidence());
    }

    @Test
    void anExecutorThatExitedWithSparksOutOfMemoryCode() {
        for (String reason : new String[]{"ExecutorLostFailure (executor 1 exited caused by one of the running "
                + "tasks) Reason: Command exited with code 52", "Container exited with a non-zero exit code 52. "
                + "Error file: prelaunch.err"}) {
            OutOfMemory.Found f = found(new SparkException("Job aborted due to stage failure: " + reason));
            assertEquals(OutOfMemory.Where.TASK, f.where());
            assertTrue(f.evidence().contains("exited with code 52"), f.evidence());
        }
    }

    @Test
    void otherFailuresAreNotAboutMemory() {
        for (Throwable e : new Throwable[]{new SparkException("Command exited with code 137"),
                new IllegalStateException("exit code 520"), new UncheckedIOException(new java.io.IOException("x")),
                new StackOverflowError(), new DistilleryException("Column 'label' is missing.")}) {
            assertEquals(Optional.empty(), OutOfMemory.find(e), e.toString());
        }
    }
}
