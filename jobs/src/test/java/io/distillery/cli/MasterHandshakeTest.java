package io.distillery.cli;

import io.distillery.config.DistilleryException;
import org.apache.spark.SparkConf;
import org.apache.spark.network.TransportContext;
import org.apache.spark.network.crypto.AuthServerBootstrap;
import org.apache.spark.network.sasl.SecretKeyHolder;
import org.apache.spark.network.server.NoOpRpcHandler;
import org.apache.spark.network.server.TransportServer;
import org.apache.spark.network.util.MapConfigProvider;
import org.apache.spark.network.util.TransportConf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MasterHandshake} against an in-process server that authenticates like a standalone Master. */
class MasterHandshakeTest {
    private static final String SECRET = "the-right-secret-1234";
    private static TransportContext context;
    private static TransportServer server;

    @BeforeAll
    static void startServer() {
        TransportConf conf = new TransportConf("rpc", new MapConfigProvider(Map.of(
                "spark.authenticate", "true", "spark.network.crypto.enabled", "true")));
        SecretKeyHolder keys = new SecretKeyHolder() {
            @Override
            public String getSaslUser(String appId) {
                return "sparkSaslUser";
            }

            @Override
            public String getSecretKey(String appId) {
                return SECRET;
            }
        };
        context = new TransportContext(conf, new NoOpRpcHandler());
        server = context.createServer("127.0.0.1", 0, List.of(new AuthServerBootstrap(conf, keys)));
    }

    @AfterAll
    static void stopServer() {
        server.close();
        context.close();
    }

    private static SparkConf conf(String secret, boolean crypto) {
        SparkConf conf = new SparkConf(false).setMaster("spark://127.0.0.1:" + server.getPort())
                .set("spark.authenticate", "true").set("spark.network.crypto.enabled", Boolean.toString(crypto));
        return secret == null ? conf : conf.set("spark.authenticate.secret", secret);
    }

    @Test
    void theRightSecretPasses() {
        assertDoesNotThrow(() -> MasterHandshake.check(conf(SECRET, true)));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aWrongSecretIsOneSentenceWithoutTheSecret(boolean crypto) {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> MasterHandshake.check(conf("not-the-secret-5678", crypto)));
        assertEquals("The Spark master at spark://127.0.0.1:" + server.getPort() + " refused the connection: "
                + "authentication failed (check that spark.authenticate.secret is the cluster's and that the cluster "
                + "runs with spark.authenticate=true).", e.getMessage());
        assertFalse(e.getMessage().contains("5678"));
    }

    @Test
    void noSecretAtAllIsOneSentence() {
        DistilleryException e = assertThrows(DistilleryException.class, () -> MasterHandshake.check(conf(null, true)));
        assertTrue(e.getMessage().startsWith("spark.authenticate=true needs the cluster's spark.authenticate.secret"),
                e.getMessage());
    }

    @Test
    void withoutAuthenticationOrForOtherMastersNothingIsChecked() {
        assertDoesNotThrow(() -> MasterHandshake.check(conf("wrong", true).set("spark.authenticate", "false")));
        assertDoesNotThrow(() -> MasterHandshake.check(conf("wrong", true).setMaster("local[1]")));
    }
}
