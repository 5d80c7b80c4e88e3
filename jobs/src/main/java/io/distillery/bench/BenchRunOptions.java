package io.distillery.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.distillery.cli.Sessions;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Function;

/**
 * Options every benchmark command takes (a picocli mixin): the Spark master, an optional JSON results file and an
 * optional scratch directory. {@link #run} runs a benchmark in its own Spark session and reports it.
 */
final class BenchRunOptions {
    @Option(names = "--master", paramLabel = "URL", defaultValue = "local[2]",
            description = "Spark master when not set by spark-submit (default: ${DEFAULT-VALUE}).")
    String master;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    File out;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Scratch directory, kept afterwards (default: a temp directory, deleted).")
    File workDir;

    /**
     * Runs {@code bench} in a Spark session named {@code appName} (stopped afterwards), prints {@code table} of its
     * result, and writes the result's JSON form ({@code json}) to {@code --out} when given.
     *
     * @return the exit code, 0
     */
    <R> int run(String appName, Function<SparkSession, R> bench, Function<R, String> table, Function<R, Object> json) {
        SparkSession spark = Sessions.create(appName, master);
        try {
            R result = bench.apply(spark);
            System.out.println();
            System.out.print(table.apply(result));
            if (out != null) {
                writeJson(json.apply(result), out);
                System.out.println("results: " + out);
            }
        } finally {
            spark.stop();
        }
        return 0;
    }

    private static void writeJson(Object value, File file) {
        try {
            File parent = file.getAbsoluteFile().getParentFile();
            if (parent != null) {
                parent.mkdirs();
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file, value);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }
}
