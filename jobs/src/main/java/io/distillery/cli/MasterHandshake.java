package io.distillery.cli;

import io.distillery.config.DistilleryException;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.client.TransportClient;
import org.apache.spark.network.client.TransportClientFactory;
import org.apache.spark.network.crypto.AuthClientBootstrap;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fails at once, in one sentence, when a standalone master refuses the application's {@code spark.authenticate}
 * handshake (a wrong {@code spark.authenticate.secret}, or a cluster started without authentication).
 *
 * <p>Spark itself does not say so: the server closes the channel, the driver logs a stack trace per attempt,
 * retries its registration 3 times 20 s apart, gives up with "All masters are unresponsive", and the job then dies on
 * a stopped SparkContext. This check runs the same handshake Spark's RPC client runs ({@link AuthClientBootstrap},
 * AES-based when {@code spark.network.crypto.enabled}, SASL otherwise or as the configured fallback) on one
 * connection to each master, with short timeouts, before the session exists. The secret is never part of a message.
 */
final class MasterHandshake {
    /** The user name Spark's SecurityManager gives every connection (it is not an identity: one shared secret). */
    private static final String SASL_USER = "sparkSaslUser";
    /** Where Spark also looks for the secret (set for executors by their Worker). */
    private static final String ENV_SECRET = "_SPARK_AUTH_SECRET";
    /** Spark's transport logs a refused handshake as ERRORs with stack traces: this check says it in one line. */
    private static final String TRANSPORT_LOGGER = "org.apache.spark.network";
    private static final Map<String, String> TIMEOUTS = Map.of(
            "spark.rpc.io.connectionTimeout", "10s",
            "spark.rpc.io.connectionCreationTimeout", "10s",
            "spark.network.auth.rpcTimeout", "15s",
            "spark.rpc.io.clientThreads", "1");

    private MasterHandshake() {
    }

    /** Checks the handshake against the masters of a {@code spark://} URL when {@code spark.authenticate} is on. */
    static void check(SparkConf conf) {
        String master = conf.get("spark.master");
        if (!master.startsWith("spark://") || !conf.getBoolean("spark.authenticate", false)) {
            return;
        }
        String secret = conf.get("spark.authenticate.secret", System.getenv(ENV_SECRET));
        if (secret == null) {
            if (conf.contains("spark.authenticate.secret.file")) {
                return;  // Spark reads it (and says what it thinks of it for a standalone master)
            }
            throw new DistilleryException("spark.authenticate=true needs the cluster's spark.authenticate.secret for "
                    + "a standalone master " + master + "; give it in a properties file readable only by you "
                    + "(--properties-file), not on the command line.");
        }
        List<String> refused = new ArrayList<>();
        String[] masters = master.substring("spark://".length()).split(",");
        Level level = LogManager.getLogger(TRANSPORT_LOGGER).getLevel();
        Configurator.setLevel(TRANSPORT_LOGGER, Level.OFF);
        try {
            for (String hostPort : masters) {
                String failure = handshake(conf, secret, hostPort);
                if (failure == null) {
                    return;
                }
                refused.add(masters.length > 1 ? hostPort + ": " + failure : failure);
            }
        } finally {
            Configurator.setLevel(TRANSPORT_LOGGER, level);
        }
        throw new DistilleryException("The Spark master at " + master + " refused the connection: "
                + String.join("; ", refused) + " (check that spark.authenticate.secret is the cluster's and that "
                + "the cluster runs with spark.authenticate=true).");
    }

    /** Null when {@code hostPort} accepts the handshake, else what went wrong, without the secret. */
    private static String handshake(SparkConf conf, String secret, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        int port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
        TransportConf transport = transportConf(conf);
        SecretKeyHolder keys = new SecretKeyHolder() {
            @Override
            public String getSaslUser(String appId) {
                return SASL_USER;
            }

            @Override
            public String getSecretKey(String appId) {
                return secret;
            }
        };
        try (TransportContext context = new TransportContext(transport, new NoOpRpcHandler(), true);
             TransportClientFactory factory = context.createClientFactory(
                     List.of(new AuthClientBootstrap(transport, SASL_USER, keys)))) {
            TransportClient client = factory.createUnmanagedClient(host, port);
            client.close();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return timedOut(e) ? "no answer to the authentication handshake in time" : "authentication failed";
        }
    }

    private static TransportConf transportConf(SparkConf conf) {
        Map<String, String> settings = new HashMap<>(TIMEOUTS);
        for (Tuple2<String, String> kv : conf.getAll()) {
            settings.put(kv._1(), kv._2());
        }
        return new TransportConf("rpc", new MapConfigProvider(settings));
    }

    private static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }
}
