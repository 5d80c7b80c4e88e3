package io.distillery.cli;

import io.distillery.config.DistilleryException;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the Spark session of a subcommand. The master comes from spark-submit when it set one, else from
 * {@code --master}; Kryo with ND4J's registrator is the default serializer. In local mode a task out of memory fails
 * the job instead of ending the JVM with Spark's exit code 52. A standalone master that is unreachable, or refuses
 * the application's {@code spark.authenticate} handshake, is a one-sentence error before the session exists. Long
 * stages log their progress ({@link SparkProgress}).
 */
public final class Sessions {
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /** The least time between two progress lines of one long Spark stage ({@link SparkProgress}). */
    private static final double PROGRESS_SECONDS = 30;

    private Sessions() {
    }

    /** The session for a subcommand: spark-submit's master if it set one, else {@code fallbackMaster}. */
    public static SparkSession create(String appName, String fallbackMaster) {
        SparkConf conf = new SparkConf();
        if (!conf.contains("spark.master")) {
            conf.setMaster(fallbackMaster);
        }
        conf.setIfMissing("spark.app.name", appName);
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.sql.parquet.compression.codec", "zstd");
        // Rows are arrays of hundreds of floats: Spark's default batch of 4,096 rows makes each task's vectorized
        // reader hold tens of MB per column, which a small executor cannot spare beside its cached blocks.
        conf.setIfMissing("spark.sql.parquet.columnarReaderBatchSize", "1024");
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");  // no lookup of this machine's name on the network
            // Local tasks run in the driver's JVM, and Spark answers an OutOfMemoryError in a task by calling
            // System.exit(52) from the task's thread: the driver would die without a word. At depth 0 the task
            // fails like any other, the job fails with the error, and the CLI names the stage and what to raise.
            conf.setIfMissing("spark.executor.killOnFatalError.depth", "0");
        }
        checkReachable(conf.get("spark.master"));
        MasterHandshake.check(conf);
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        session.sparkContext().addSparkListener(SparkProgress.logged(PROGRESS_SECONDS));
        return session;
    }

    /**
     * Fails at once, in one sentence, when no standalone master of a {@code spark://} URL accepts a connection.
     * Without this, the driver starts, its registration is retried 3 times 20 s apart, and the job then dies on a
     * stopped SparkContext with a message that does not name the master. Other masters (local, yarn, k8s) are left
     * to Spark.
     */
    static void checkReachable(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
                return;
            } catch (IOException e) {
                failures.add(hostPort + ": " + e.getMessage());
            }
        }
        throw new DistilleryException("Spark master " + master + " is unreachable (" + String.join("; ", failures)
                + "); check --master or spark.master and that the master is running.");
    }
}
