package io.distillery.bench;

import io.distillery.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code distill bench codistill} at a tiny size (600 sample rows, one short sample per side, a few rounds of the
 * race) on {@code local[2]}: it runs through the CLI and prints all three sections. Speed is not checked.
 */
class CodistillBenchSmokeTest {

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void benchPrintsEverySection() {
        Cli.Result r = Cli.run("bench", "codistill", "--master", "local[2]",
                "--data", Cli.sampleTrain().toString(), "--test", Cli.sampleTest().toString(),
                "--rows", "600", "--hidden", "16", "--batch-size", "32", "--averaging-frequency", "2",
                "--repeats", "1", "--min-seconds", "0.5", "--max-rounds", "8", "--eval-every", "4",
                "--target-loss", "5");
        assertEquals(0, r.exit(), r::toString);
        String out = r.out();
        assertTrue(out.contains("1. Price of the peer term") && out.contains("ratio with / without"), out);
        assertTrue(out.contains("2. Bytes per exchange: 101,840"), out);  // 2 x (784*16+16 + 16*10+10) x 4 bytes
        assertTrue(out.contains("1 model on 2 workers") && out.contains("2 co-distilled models, 1 worker each"), out);
        assertTrue(out.contains("reached it at round 4"), out);  // a loss of 5 is reached at the first evaluation
    }
}
