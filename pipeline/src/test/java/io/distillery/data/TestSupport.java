package io.distillery.data;

import io.distillery.config.DataSpec;
import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared helpers: the committed samples, a quiet local Spark session, data specs. */
final class TestSupport {
    private TestSupport() {
    }

    /** The repository's {@code data-samples} folder, found upwards from the working directory. */
    static Path samples() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("data-samples"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("data-samples not found above " + Path.of("").toAbsolutePath());
        }
        return p.resolve("data-samples");
    }

    /** One {@code local[2]} session per test class: no UI, two shuffle partitions. */
    static SparkSession spark() {
        return SparkSession.builder()
                .appName("distillery-data-test")
                .master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }

    /** A spec for data with an {@code array} features column. */
    static DataSpec arraySpec(String format, int numClasses, List<Integer> inputShape) {
        return new DataSpec("train", "test", format, "id", "label", "features", List.of(), numClasses, inputShape,
                List.of());
    }

    /** A spec for data with a list of numeric feature columns. */
    static DataSpec columnsSpec(String format, List<String> featureColumns) {
        return new DataSpec("train", "test", format, "id", "label", "", featureColumns, 10, List.of(), List.of());
    }
}
