package io.distillery.config;

import com.typesafe.config.Config;

/**
 * The evaluation stage.
 *
 * @param path      output directory for {@code metrics.json}
 * @param batchSize rows per forward pass
 * @param eceBins   number of equal-width confidence bins for the expected calibration error
 * @param gate      thresholds that fail the run ({@code evaluate.gate})
 */
public record EvaluateSpec(String path, int batchSize, int eceBins, GateSpec gate) {

    static EvaluateSpec from(Config c, ConfigProblems problems) {
        EvaluateSpec e = new EvaluateSpec(c.getString("path"), c.getInt("batch-size"), c.getInt("ece-bins"),
                GateSpec.from(c.getConfig("gate"), problems));
        problems.check(e.batchSize > 0,
                "Key distillery.evaluate.batch-size is " + e.batchSize + "; it must be positive.");
        problems.check(e.eceBins > 0, "Key distillery.evaluate.ece-bins is " + e.eceBins + "; it must be positive.");
        return e;
    }
}
