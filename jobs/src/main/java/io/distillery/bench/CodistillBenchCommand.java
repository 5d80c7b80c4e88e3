package io.distillery.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code distill bench codistill}: the price and the payoff of co-distillation; see {@link CodistillBench}. */
@Command(name = "codistill", mixinStandardHelpOptions = true,
        description = "Measure, side by side in one run: ms per round of two models with and without the peer term, "
                + "bytes per exchange, and rounds and wall time to a target held-out loss for 2 co-distilled models "
                + "on 1 worker each against 1 model on 2 workers.")
public final class CodistillBenchCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "PATH", description = "Training rows (canonical Parquet). Default: "
            + "data/fashion-mnist/train, else data-samples/fashion-mnist/train.")
    String data;

    @Option(names = "--test", paramLabel = "PATH", description = "Held-out rows. Default: data/fashion-mnist/test, "
            + "else data-samples/fashion-mnist/test.")
    String test;

    @Option(names = "--rows", defaultValue = "20000", description = "Training rows used (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--hidden", defaultValue = "128", description = "Hidden units of the models (default: "
            + "${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--batch-size", defaultValue = "128", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--averaging-frequency", defaultValue = "10",
            description = "Minibatches per worker per round (default: ${DEFAULT-VALUE}).")
    int averagingFrequency;

    @Option(names = "--exchange-period", defaultValue = "10",
            description = "Rounds between exchanges (default: ${DEFAULT-VALUE}).")
    int exchangePeriod;

    @Option(names = "--repeats", defaultValue = "5", description = "Samples per side (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--min-seconds", defaultValue = "10",
            description = "Shortest sample, in seconds (default: ${DEFAULT-VALUE}).")
    double minSeconds;

    @Option(names = "--target-loss", defaultValue = "0.45",
            description = "Held-out cross-entropy to reach (default: ${DEFAULT-VALUE}).")
    double targetLoss;

    @Option(names = "--max-rounds", defaultValue = "400", description = "Give up after this many rounds (default: "
            + "${DEFAULT-VALUE}).")
    int maxRounds;

    @Option(names = "--eval-every", defaultValue = "4",
            description = "Rounds between two held-out evaluations (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    BenchRunOptions run;

    @Override
    public Integer call() {
        CodistillBench.Options o = new CodistillBench.Options();
        o.data = data != null ? data
                : CodistillBench.defaultPath("data/fashion-mnist/train", "data-samples/fashion-mnist/train");
        o.test = test != null ? test
                : CodistillBench.defaultPath("data/fashion-mnist/test", "data-samples/fashion-mnist/test");
        o.rows = rows;
        o.hidden = hidden;
        o.batchSize = batchSize;
        o.averagingFrequency = averagingFrequency;
        o.exchangePeriod = exchangePeriod;
        o.repeats = repeats;
        o.minSeconds = minSeconds;
        o.targetLoss = targetLoss;
        o.maxRounds = maxRounds;
        o.evalEvery = evalEvery;
        o.seed = seed;
        return run.run("distillery bench codistill", spark -> new CodistillBench(spark, o).run(), r -> r, r -> r);
    }
}
