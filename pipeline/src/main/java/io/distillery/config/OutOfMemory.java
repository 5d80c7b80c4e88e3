package io.distillery.config;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises a run out of memory behind an exception, in the three forms it reaches the driver: an
 * {@link OutOfMemoryError} thrown in this JVM (the driver's own code, or a task when Spark runs in local mode and
 * the error comes back as the cause of the job's failure), a task failure that carries one only as text (Spark
 * reports an executor's exception as a message), and an executor that exited with code 52, Spark's exit code for an
 * {@code OutOfMemoryError} (its JVM is gone, so no exception survives). Spark's own
 * {@code SparkOutOfMemoryError} ("Unable to acquire N bytes of memory") counts too: it is a subclass.
 */
public final class OutOfMemory {
    /** Spark's {@code SparkExitCode.OOM}. */
    static final int SPARK_OOM_EXIT = 52;
    private static final Pattern ERROR_TEXT = Pattern.compile("[\\w.$]*OutOfMemoryError(?::[^\\n]*)?");
    private static final Pattern EXIT_52 = Pattern.compile(
            "exit(?:ed)?(?: with)?(?: a non-zero)?(?: exit)? (?:code|status)[ :=]*" + SPARK_OOM_EXIT + "\\b");
    private static final int MAX_EVIDENCE = 160;

    private OutOfMemory() {
    }

    /** Where the memory ran out. */
    public enum Where {
        /** In the driver's own code. */
        DRIVER,
        /** In a Spark task: on an executor, or in the driver's JVM in local mode. */
        TASK
    }

    /**
     * What was found.
     *
     * @param where    the driver or a task
     * @param evidence the error in a few words, e.g. {@code java.lang.OutOfMemoryError: Java heap space}
     */
    public record Found(Where where, String evidence) {
    }

    /** The memory failure behind {@code e}, if any, looking through its whole cause chain. */
    public static Optional<Found> find(Throwable e) {
        boolean underSpark = false;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return Optional.of(new Found(underSpark ? Where.TASK : Where.DRIVER, shorten(t.toString())));
            }
            // A SparkException above the error means a task failed with it (in local mode, in this JVM).
            underSpark |= t.getClass().getName().startsWith("org.apache.spark.");
            String message = t.getMessage();
            if (message == null) {
                continue;
            }
            Matcher error = ERROR_TEXT.matcher(message);
            if (error.find()) {
                return Optional.of(new Found(Where.TASK, shorten(error.group())));
            }
            if (EXIT_52.matcher(message).find()) {
                return Optional.of(new Found(Where.TASK, "an executor exited with code " + SPARK_OOM_EXIT
                        + ", Spark's exit code for java.lang.OutOfMemoryError"));
            }
        }
        return Optional.empty();
    }

    private static String shorten(String s) {
        String line = s.lines().findFirst().orElse(s).strip();
        return line.length() <= MAX_EVIDENCE ? line : line.substring(0, MAX_EVIDENCE) + "...";
    }
}
