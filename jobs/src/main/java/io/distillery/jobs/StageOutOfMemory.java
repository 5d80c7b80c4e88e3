package io.distillery.jobs;

import com.typesafe.config.ConfigException;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.OutOfMemory;

import java.util.Locale;
import java.util.Optional;

/**
 * A stage that ran out of memory, in the driver or in a Spark task, as one sentence naming the stage, where it ran
 * out and the settings to change: the executors' or the driver's memory, and the stage's batch size. Not a user
 * error in the sense of exit code 2 (the input may be fine), so the CLI exits with {@link #EXIT_CODE}, but without a
 * stack trace: what to do is known.
 */
public final class StageOutOfMemory extends RuntimeException {
    /** The CLI's exit code for a run out of memory: that of any failure that is not bad input. */
    public static final int EXIT_CODE = 1;
    private static final String DRIVER_MEMORY = "spark.driver.memory or --driver-memory with spark-submit, "
            + "-Xmx in DISTILL_JAVA_OPTS with deploy/bin/distill";

    private StageOutOfMemory(String sentence, Throwable cause) {
        super(sentence, cause);
    }

    /**
     * The stage's memory failure behind {@code e}: the one already in its cause chain (a stage of {@code run}
     * reported it), else a new one for {@code stage}; null when {@code e} is not about memory.
     *
     * @param stage the stage as the user knows it: {@code train-teacher}, {@code soft-targets}, {@code distill},
     *              {@code distill --baseline}, {@code evaluate}
     */
    public static StageOutOfMemory of(String stage, DistilleryConfig cfg, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StageOutOfMemory known) {
                return known;
            }
        }
        Optional<OutOfMemory.Found> found = OutOfMemory.find(e);
        return found.map(f -> new StageOutOfMemory(sentence(stage, cfg, f), e)).orElse(null);
    }

    static String sentence(String stage, DistilleryConfig cfg, OutOfMemory.Found found) {
        String where = found.where() == OutOfMemory.Where.TASK ? "in a Spark task" : "in the driver";
        String memory = found.where() == OutOfMemory.Where.TASK
                ? "give the executors more memory (spark.executor.memory; in local mode the tasks run in the "
                + "driver's JVM, so its heap: " + DRIVER_MEMORY + ")"
                : "give the driver more memory (" + DRIVER_MEMORY + ")";
        String smaller;
        if (found.where() == OutOfMemory.Where.DRIVER && "idx".equals(cfg.data().format())) {
            smaller = "convert the IDX input to Parquet (the driver reads IDX files whole)";
        } else {
            String key = batchSizeKey(stage, cfg);
            smaller = key == null ? "lower the stage's batch size (distillery.*.batch-size)"
                    : String.format(Locale.ROOT, "lower distillery.%s (now %d)", key, cfg.raw().getInt(key));
        }
        return String.format(Locale.ROOT, "Stage %s ran out of memory %s (%s); %s or %s.", stage, where,
                found.evidence(), memory, smaller);
    }

    /**
     * The batch-size key that sizes the stage's work per task, relative to {@code distillery.}: the student's for
     * both distill stages, else the stage's own section ({@code <stage>.train.batch-size} for a stage named after
     * its section); null when the config has no such key (e.g. {@code run} before any stage started).
     */
    static String batchSizeKey(String stage, DistilleryConfig cfg) {
        String key;
        if (stage.startsWith("distill")) {
            key = "student.train.batch-size";
        } else {
            key = switch (stage) {
                case "train-teacher" -> "teacher.train.batch-size";
                case "soft-targets" -> "soft-targets.batch-size";
                case "evaluate" -> "evaluate.batch-size";
                default -> stage + ".train.batch-size";
            };
        }
        try {
            return cfg.raw().hasPath(key) ? key : null;
        } catch (ConfigException.BadPath e) {
            return null;  // a stage name that is no config path
        }
    }
}
