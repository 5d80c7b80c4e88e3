package io.distillery.cli;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.jobs.JobContext;
import io.distillery.jobs.StageOutOfMemory;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/**
 * Base of the stage subcommands: load and validate the config before any Spark session exists, build the session,
 * run the job, always stop the session. Errors propagate to {@link DistillCli}, which maps them to exit codes; a run
 * out of memory becomes a {@link StageOutOfMemory} naming the stage first.
 */
abstract class StageCommand implements Callable<Integer> {
    @Mixin
    CommonOptions options;

    /** Runs the job in a session. */
    protected abstract void run(JobContext ctx);

    /** Checks the config further before any Spark session exists (a refusal costs no Spark start-up). */
    protected void validate(DistilleryConfig config) {
    }

    /** Name for the Spark application. */
    protected abstract String stageName();

    @Override
    public Integer call() {
        DistilleryConfig config = ConfigLoader.load(options.config, options.overrides);
        validate(config);
        try {
            SparkSession spark = Sessions.create("distillery " + stageName(), options.master);
            try {
                run(JobContext.of(spark, config, options.overwrite, options.resume));
            } finally {
                spark.stop();
            }
        } catch (Exception | OutOfMemoryError e) {
            // Caught here, where the stage is known; picocli would let an Error escape its exception handler.
            // Exception, not RuntimeException: Spark's Scala code throws the checked SparkException undeclared.
            StageOutOfMemory memory = StageOutOfMemory.of(stageName().replace("distill-baseline",
                    "distill --baseline"), config, e);
            if (memory != null) {
                throw memory;
            }
            throw e;
        }
        return 0;
    }
}
