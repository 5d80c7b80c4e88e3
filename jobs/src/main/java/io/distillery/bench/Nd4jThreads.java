package io.distillery.bench;

import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's thread limits: libnd4j's own parallel loops ({@code maxThreads}, {@code maxMasterThreads}) and the BLAS
 * library's threads (gemm). All three are process-wide, so in Spark local mode they govern the driver and every
 * concurrent task alike; the bench sets them around the Spark side's runs and restores the defaults for the plain
 * loops.
 */
final class Nd4jThreads {
    private final int maxThreads;
    private final int maxMasterThreads;
    private final int blasThreads;

    private Nd4jThreads(int maxThreads, int maxMasterThreads, int blasThreads) {
        this.maxThreads = maxThreads;
        this.maxMasterThreads = maxMasterThreads;
        this.blasThreads = blasThreads;
    }

    /** The current (default) limits, restored by {@link #restore()}. */
    static Nd4jThreads capture() {
        Environment env = Nd4j.getEnvironment();
        return new Nd4jThreads(env.maxThreads(), env.maxMasterThreads(), blas().getMaxThreads());
    }

    /** Applies a setting: {@code default} restores the captured limits, a number sets all three to it. */
    void apply(String setting) {
        if (setting.equals("default")) {
            restore();
        } else {
            set(parse(setting), parse(setting), parse(setting));
        }
    }

    void restore() {
        set(maxThreads, maxMasterThreads, blasThreads);
    }

    /** How a setting reads in the report. */
    String describe(String setting) {
        return setting.equals("default") ? describeDefault() : parse(setting) + "/op";
    }

    String describeDefault() {
        return "default " + (maxThreads == blasThreads ? Integer.toString(maxThreads) : maxThreads + "/" + blasThreads)
                + "/op";
    }

    static int parse(String setting) {
        try {
            int n = Integer.parseInt(setting.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new io.distillery.config.DistilleryException("--task-threads value '" + setting
                    + "' is neither 'default' nor a positive number of threads.");
        }
    }

    /** {@code maxThreads / maxMasterThreads / BLAS threads} as ND4J reports them now. */
    static String current() {
        Environment env = Nd4j.getEnvironment();
        return env.maxThreads() + " / " + env.maxMasterThreads() + " / " + blas().getMaxThreads();
    }

    private static void set(int threads, int masterThreads, int blasThreads) {
        Environment env = Nd4j.getEnvironment();
        env.setMaxThreads(threads);
        env.setMaxMasterThreads(masterThreads);
        blas().setMaxThreads(blasThreads);
    }

    private static Blas blas() {
        return Nd4j.factory().blas();
    }
}
