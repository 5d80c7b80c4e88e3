package io.distillery.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distillery.testing.Cli;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.apache.spark.sql.functions.col;

/** Checks shared by the cluster tests: Spark event logs, the soft-target store, leftovers. */
final class ClusterChecks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterChecks() {
    }

    /** What the Spark event logs in a directory say about where tasks ran and which failed. */
    record Tasks(String appIds, Map<String, Integer> succeededPerExecutor, Map<String, Integer> failedByReason,
                 List<String> executorsRemoved) {
    }

    static Tasks tasks(Path eventLogDir) {
        Map<String, Integer> ok = new TreeMap<>();
        Map<String, Integer> failed = new TreeMap<>();
        List<String> removed = new ArrayList<>();
        List<String> apps = new ArrayList<>();
        try (Stream<Path> logs = Files.list(eventLogDir)) {
            for (Path log : logs.sorted().toList()) {
                apps.add(log.getFileName().toString());
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    JsonNode e = JSON.readTree(line);
                    switch (e.path("Event").asText()) {
                        case "SparkListenerTaskEnd" -> {
                            String reason = e.path("Task End Reason").path("Reason").asText();
                            String exec = e.path("Task Info").path("Executor ID").asText();
                            if (reason.equals("Success")) {
                                ok.merge(exec, 1, Integer::sum);
                            } else {
                                failed.merge(reason, 1, Integer::sum);
                            }
                        }
                        case "SparkListenerExecutorRemoved" -> removed.add(e.path("Executor ID").asText() + ": "
                                + e.path("Removed Reason").asText());
                        default -> {
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Tasks(String.join(",", apps), ok, failed, removed);
    }

    /** Temporaries an interrupted or retried write could leave: {@code .name.tmp-*} dirs and {@code _temporary}. */
    static List<Path> leftovers(Path root) {
        List<Path> found = new ArrayList<>(Cli.leftoverTemps(root));
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(p -> p.getFileName().toString().equals("_temporary")).forEach(found::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** Rows, distinct ids, and ids that differ from the training input, of a soft-target store. */
    record StoreCounts(long rows, long distinctIds, long inputRows, long notInInput, long missing) {
    }

    static StoreCounts store(Path storeDir) {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("ClusterChecks")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1").getOrCreate();
        try {
            Dataset<Row> store = spark.read().option("pathGlobFilter", "*.parquet").parquet(storeDir.toString());
            Dataset<Row> input = spark.read().parquet(Cli.sampleTrain().toString());
            Dataset<Row> storeIds = store.select(col("id"));
            Dataset<Row> inputIds = input.select(col("id").cast("long"));
            return new StoreCounts(store.count(), storeIds.distinct().count(), input.count(),
                    storeIds.except(inputIds).count(), inputIds.except(storeIds).count());
        } finally {
            spark.stop();
        }
    }
}
