package io.distillery.jobs;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sentence of {@link StageOutOfMemory} for each stage; the child-JVM cases are {@code MemoryFailureTest}. */
class StageOutOfMemoryTest {
    private static final DistilleryConfig CFG = ConfigLoader.load(null, List.of("data.train=/d/train",
            "data.test=/d/test", "student.train.batch-size=64"));
    private static final SparkException TASK = new SparkException("Job aborted due to stage failure: Lost task 0.0 "
            + "(TID 3) (10.0.0.7 executor 1): java.lang.OutOfMemoryError: Java heap space");

    @Test
    void eachStageNamesItsOwnBatchSize() {
        assertEquals("Stage distill --baseline ran out of memory in a Spark task (java.lang.OutOfMemoryError: Java "
                + "heap space); give the executors more memory (spark.executor.memory; in local mode the tasks run in "
                + "the driver's JVM, so its heap: spark.driver.memory or --driver-memory with spark-submit, -Xmx in "
                + "DISTILL_JAVA_OPTS with deploy/bin/distill) or lower distillery.student.train.batch-size (now 64).",
                StageOutOfMemory.of("distill --baseline", CFG, TASK).getMessage());
        assertTrue(StageOutOfMemory.of("train-teacher", CFG, TASK).getMessage()
                .endsWith("or lower distillery.teacher.train.batch-size (now 128)."));
        assertTrue(StageOutOfMemory.of("soft-targets", CFG, TASK).getMessage()
                .endsWith("or lower distillery.soft-targets.batch-size (now 1024)."));
        assertTrue(StageOutOfMemory.of("run", CFG, TASK).getMessage()
                .endsWith("or lower the stage's batch size (distillery.*.batch-size)."));
    }

    @Test
    void theDriverAndTheStageAlreadyNamedByRun() {
        StageOutOfMemory driver = StageOutOfMemory.of("evaluate", CFG, new OutOfMemoryError("Java heap space"));
        assertTrue(driver.getMessage().startsWith("Stage evaluate ran out of memory in the driver (java.lang."
                + "OutOfMemoryError: Java heap space); give the driver more memory (spark.driver.memory"),
                driver.getMessage());
        assertSame(driver, StageOutOfMemory.of("run", CFG, new IllegalStateException(driver)), "the inner stage wins");
        assertNull(StageOutOfMemory.of("evaluate", CFG, new IllegalStateException("not about memory")));
    }
}
