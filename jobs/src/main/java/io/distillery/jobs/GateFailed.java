package io.distillery.jobs;

import java.util.List;

/**
 * The evaluation gate failed: {@code metrics.json} was written (with the verdict) but a model is below a threshold.
 * Not a user error (the config and the input are fine), nor a crash: the CLI prints one line per violation and exits
 * with {@link #EXIT_CODE}, so a scheduler can tell "do not publish" from "the run broke".
 */
public final class GateFailed extends RuntimeException {
    /** Exit code of a run that the gate failed (0 success, 1 failure, 2 user error). */
    public static final int EXIT_CODE = 3;
    private final List<String> violations;
    private final String metricsFile;

    public GateFailed(List<String> violations, String metricsFile) {
        super("The evaluation gate failed (" + violations.size() + " threshold" + (violations.size() == 1 ? "" : "s")
                + "; the numbers are in " + metricsFile + "): " + String.join(" ", violations));
        this.violations = List.copyOf(violations);
        this.metricsFile = metricsFile;
    }

    /** The metrics.json that holds the failing numbers and the verdict. */
    public String metricsFile() {
        return metricsFile;
    }

    /** One sentence per violated threshold. */
    public List<String> violations() {
        return violations;
    }
}
