package io.distillery.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code distill bench store}: bytes per row and fidelity of dense and top-k soft-target stores; see
 * {@link StoreBench}.
 */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Write the soft-target store dense and top-k (float32 and float16) for a synthetic 1,000-class "
                + "teacher and a Fashion-MNIST teacher; print bytes per row on disk and the mean KL divergence "
                + "between the teacher's distribution and the one rebuilt from each store, at T=1 and T=4.")
public final class StoreBenchCommand implements Callable<Integer> {
    @Option(names = "--classes", defaultValue = "1000",
            description = "Classes of the synthetic teacher (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--rows", defaultValue = "10000",
            description = "Rows of each synthetic store (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--teacher-rows", defaultValue = "100000",
            description = "Rows the synthetic teacher trains on (default: ${DEFAULT-VALUE}).")
    int teacherRows;

    @Option(names = "--teacher-epochs", defaultValue = "5",
            description = "Synthetic teacher epochs (default: ${DEFAULT-VALUE}).")
    int teacherEpochs;

    @Option(names = "--hidden", defaultValue = "512",
            description = "Synthetic teacher hidden units (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--bayes-accuracy", defaultValue = "0.8",
            description = "Synthetic noise level given as the accuracy "
                    + "of the Bayes-optimal (nearest-prototype) classifier (default: ${DEFAULT-VALUE}).")
    double bayesAccuracy;

    @Option(names = "--noise", defaultValue = "0", description = "Instead: synthetic noise sigma as a fraction of the "
            + "median nearest-prototype distance.")
    double noise;

    @Option(names = "--k", split = ",", defaultValue = "1,3,5,10,50",
            description = "k of the top-k stores (default: ${DEFAULT-VALUE}).")
    List<Integer> ks;

    @Option(names = "--tail-ranks", paramLabel = "R,...", defaultValue = "0,16,32,64",
            description = "Ranks of the design-study estimate 'top-10 plus a rank-r PCA tail' for data sets with more "
                    + "than 10 classes; '' skips it (default: ${DEFAULT-VALUE}).")
    String tailRanks;

    @Option(names = "--fashion-mnist", paramLabel = "PATH", description = "Fashion-MNIST training rows (Parquet). "
            + "Default: data/fashion-mnist/train, else data-samples/fashion-mnist/train; '' skips it.")
    String fashionMnist;

    @Option(names = "--fashion-rows", defaultValue = "10000",
            description = "Rows of each Fashion-MNIST store (default: ${DEFAULT-VALUE}).")
    int fashionRows;

    @Option(names = "--fashion-teacher-rows", defaultValue = "60000",
            description = "Rows the Fashion-MNIST teacher trains on (default: ${DEFAULT-VALUE}).")
    int fashionTeacherRows;

    @Option(names = "--fashion-teacher-epochs", defaultValue = "3",
            description = "Fashion-MNIST teacher epochs (default: ${DEFAULT-VALUE}).")
    int fashionTeacherEpochs;

    @Option(names = "--seed", defaultValue = "42",
            description = "Seed of the data and teachers (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    BenchRunOptions run;

    @Override
    public Integer call() {
        StoreBench.Options o = new StoreBench.Options();
        o.classes = classes;
        o.rows = rows;
        o.teacherRows = teacherRows;
        o.teacherEpochs = teacherEpochs;
        o.hidden = hidden;
        o.noise = noise;
        o.bayesAccuracy = bayesAccuracy;
        o.ks = ks;
        o.tailRanks = tailRanks.isBlank() ? List.of()
                : Arrays.stream(tailRanks.split(",")).map(String::trim).map(Integer::valueOf).toList();
        o.fashionMnist = fashionMnist;
        o.fashionRows = fashionRows;
        o.fashionTeacherRows = fashionTeacherRows;
        o.fashionTeacherEpochs = fashionTeacherEpochs;
        o.seed = seed;
        o.workDir = run.workDir;
        return run.run("distillery bench store", spark -> new StoreBench(spark, o).run(), StoreBenchTable::render,
                result -> result);
    }
}
