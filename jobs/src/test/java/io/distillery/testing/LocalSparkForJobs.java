package io.distillery.testing;

import org.apache.spark.sql.SparkSession;

/**
 * A short-lived {@code local[2]} session for writing fixtures and reading results around CLI calls (the CLI makes
 * and stops its own session, so this one must be stopped before each CLI call).
 */
public final class LocalSparkForJobs {
    private LocalSparkForJobs() {
    }

    public static SparkSession session() {
        return SparkSession.builder().master("local[2]").appName("distillery-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }
}
