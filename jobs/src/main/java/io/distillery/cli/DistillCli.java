package io.distillery.cli;

import io.distillery.config.DistilleryException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code distill} command line: one subcommand per stage, {@code run} for all of them, {@code config} to print
 * the resolved config. Exit codes: 0 success, 2 a user error (bad config or input; one sentence on stderr),
 * 1 anything else.
 */
@Command(name = "distill", mixinStandardHelpOptions = true, version = "Distillery 0.1.0",
        description = "Knowledge distillation at Spark scale.",
        subcommands = {Commands.Run.class, Commands.TrainTeacher.class, Commands.SoftTargets.class,
                Commands.Distill.class, Commands.Codistill.class, Commands.Evaluate.class, Commands.Summarize.class, Commands.PrintConfig.class,
                io.distillery.bench.BenchCommand.class})
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
            DistilleryException user = userError(e);
            if (user != null) {
                cmd.getErr().println("error: " + user.getMessage());
                return DistilleryException.EXIT_CODE;
            }
            cmd.getErr().println("error: unexpected failure: " + e);
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli.execute(args);
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
