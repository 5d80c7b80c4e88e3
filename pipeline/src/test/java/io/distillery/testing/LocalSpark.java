package io.distillery.testing;

import org.apache.spark.sql.SparkSession;

/** The Spark session tests use: real Spark on {@code local[2]}, UI off, two shuffle partitions, Kryo with ND4J. */
public final class LocalSpark {
    private LocalSpark() {
    }

    public static SparkSession session(Class<?> testClass) {
        return SparkSession.builder()
                .master("local[2]")
                .appName(testClass.getSimpleName())
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator")
                .config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
    }
}
