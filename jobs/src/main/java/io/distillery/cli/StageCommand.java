package io.distillery.cli;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.jobs.JobContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/**
 * Base of the stage subcommands: load and validate the config before any Spark session exists, build the session,
 * run the job, always stop the session. Errors propagate to {@link DistillCli}, which maps them to exit codes.
 */
abstract class StageCommand implements Callable<Integer> {
    @Mixin
    CommonOptions options;

    /** Runs the job in a session. */
    protected abstract void run(JobContext ctx);

    /** Name for the Spark application. */
    protected abstract String stageName();

    @Override
    public Integer call() {
        DistilleryConfig config = ConfigLoader.load(options.config, options.overrides);
        SparkSession spark = Sessions.create("distillery " + stageName(), options.master);
        try {
            run(JobContext.of(spark, config, options.overwrite, options.resume));
        } finally {
            spark.stop();
        }
        return 0;
    }
}
