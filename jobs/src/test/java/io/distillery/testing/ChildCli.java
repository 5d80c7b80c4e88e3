package io.distillery.testing;

import io.distillery.cli.DistillCli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the CLI in a child JVM, a separate OS process, the way {@code deploy/bin/distill} does: this test JVM's
 * classpath and {@code --add-opens} flags, {@link DistillCli#main} (so {@code System.exit} and Spark's own exit
 * codes are real), its stdout and stderr in files. For what one JVM cannot show: two drivers racing for one
 * output, a driver killed mid-write, a heap too small for the work.
 */
public final class ChildCli {
    private ChildCli() {
    }

    /** A started child; {@link #await} waits for it and returns what it printed. */
    public record Running(Process process, Path outFile, Path errFile, long startNanos) {
        public Cli.Result await(Duration timeout) {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError("child CLI still running after " + timeout + "; stderr:\n" + err());
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return new Cli.Result(process.exitValue(), read(outFile), read(errFile),
                    (System.nanoTime() - startNanos) / 1e9);
        }

        /** What the child has written to stderr so far. */
        public String err() {
            return read(errFile);
        }
    }

    /**
     * Starts {@code distill args...} in a new JVM with {@code jvmOptions} (e.g. {@code -Xmx1g}), its output in
     * files named after {@code name} under {@code logDir}.
     */
    public static Running start(Path logDir, String name, List<String> jvmOptions, String... args) {
        List<String> cmd = javaCommand(jvmOptions);
        cmd.addAll(Arrays.asList(args));
        try {
            Files.createDirectories(logDir);
            Path out = logDir.resolve(name + ".out");
            Path err = logDir.resolve(name + ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
            System.out.println("[child " + name + "] distill " + String.join(" ", args));
            return new Running(pb.start(), out, err, System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes an executable {@code distill} launcher to {@code file}: the same child JVM as {@link #start} (this
     * test JVM's classpath and module openings, {@code jvmOptions}), for scripts that call the CLI, such as
     * {@code deploy/scheduler/daily.sh} with {@code DISTILL=file}, without a Maven build of their own.
     */
    public static Path launcher(Path file, List<String> jvmOptions) {
        List<String> cmd = javaCommand(jvmOptions);
        StringBuilder script = new StringBuilder("#!/bin/sh\nexport SPARK_LOCAL_IP=127.0.0.1\nexec");
        // Single-quoted for the shell; a quote inside becomes '\''.
        cmd.forEach(a -> script.append(" '").append(a.replace("'", "'\\''")).append('\''));
        script.append(" \"$@\"\n");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, script.toString());
            if (!file.toFile().setExecutable(true)) {
                throw new IOException("cannot make " + file + " executable");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** {@code java [jvmOptions] [module openings] -cp <this classpath> DistillCli}, without the CLI's arguments. */
    private static List<String> javaCommand(List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        // The Java 17 module openings Spark needs, as the test JVM got them from the build.
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens")).forEach(cmd::add);
        cmd.addAll(List.of("-Dspark.ui.enabled=false", "-Dspark.driver.host=127.0.0.1",
                "-cp", System.getProperty("java.class.path"), DistillCli.class.getName()));
        return cmd;
    }

    /** Runs {@code distill args...} in a new JVM and waits for it. */
    public static Cli.Result run(Path logDir, String name, List<String> jvmOptions, Duration timeout,
                                 String... args) {
        Cli.Result r = start(logDir, name, jvmOptions, args).await(timeout);
        System.out.printf("[child %s] -> exit %d in %.1f s%n", name, r.exit(), r.seconds());
        return r;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
