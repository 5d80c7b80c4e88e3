package io.distillery.cli;

import io.distillery.config.DistilleryException;
import io.distillery.config.OutOfMemory;
import io.distillery.jobs.GateFailed;
import io.distillery.jobs.StageOutOfMemory;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code distill} command line: one subcommand per stage, {@code run} for all of them, {@code config} to print
 * the resolved config. Exit codes: 0 success, 2 a user error (bad config or input; one sentence on stderr),
 * 1 anything else: a run out of memory with one sentence naming the stage and what to raise, any other failure with
 * its stack trace; 3 the evaluation gate failed ({@code evaluate.gate}: metrics.json written, one line per violated
 * threshold on stderr).
 */
@Command(name = "distill", mixinStandardHelpOptions = true, version = "Distillery 0.1.0",
        description = "Knowledge distillation at Spark scale.",
        subcommands = {Commands.Run.class, Commands.TrainTeacher.class, Commands.SoftTargets.class,
                Commands.Distill.class, Commands.Codistill.class, Commands.SelfDistill.class,
                Commands.Evaluate.class, Commands.Sweep.class, Commands.Summarize.class, Commands.ExportOnnx.class,
                Commands.Quantize.class, Commands.PrintConfig.class, io.distillery.bench.BenchCommand.class})
public final class DistillCli implements Runnable {

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "distillery-log4j2.properties");
        }
        // Under spark-submit, Spark has configured logging (often WARN) before main runs: keep our progress lines.
        Configurator.setLevel("io.distillery", Level.toLevel(System.getProperty("distillery.log.level"), Level.INFO));
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code (for tests and embedding). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new DistillCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            String memory = outOfMemory(e, cmd.getCommandName());
            if (memory != null) {
                cmd.getErr().println("error: " + memory);
                return StageOutOfMemory.EXIT_CODE;
            }
            GateFailed gate = gateFailed(e);
            if (gate != null) {
                cmd.getErr().println("gate: failed; the numbers and the verdict are in " + gate.metricsFile());
                gate.violations().forEach(v -> cmd.getErr().println("error: " + v));
                return GateFailed.EXIT_CODE;
            }
            DistilleryException user = userError(e);
            if (user != null) {
                cmd.getErr().println("error: " + user.getMessage());
                return DistilleryException.EXIT_CODE;
            }
            cmd.getErr().println("error: unexpected failure: " + e);
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Thrown outside a stage (picocli passes Errors through): the command is all there is to name.
            cli.getErr().println("error: " + outOfMemory(e, "distill " + String.join(" ", args)));
            return StageOutOfMemory.EXIT_CODE;
        }
    }

    /**
     * The one sentence for a run out of memory behind {@code e}: the stage's ({@link StageOutOfMemory}), else one
     * naming {@code command}; null when {@code e} is not about memory. Checked before user errors: a data reader
     * may have wrapped a task's memory failure.
     */
    static String outOfMemory(Throwable e, String command) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StageOutOfMemory stage) {
                return stage.getMessage();
            }
        }
        return OutOfMemory.find(e).map(f -> "Command " + command + " ran out of memory (" + f.evidence()
                + "); give the JVM more memory (-Xmx in DISTILL_JAVA_OPTS with deploy/bin/distill, "
                + "spark.driver.memory and spark.executor.memory with spark-submit).").orElse(null);
    }

    /** The gate's verdict behind {@code e}, or null. */
    static GateFailed gateFailed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof GateFailed g) {
                return g;
            }
        }
        return null;
    }

    /** The user error behind {@code e}, also when Spark wrapped it while failing a task. */
    static DistilleryException userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DistilleryException d) {
                return d;
            }
        }
        return null;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
