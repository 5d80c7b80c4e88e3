package io.distillery.config;

import com.typesafe.config.Config;

import java.util.List;

/**
 * The soft-target stage: where the store goes, the inference batch size, and which teacher layers to tap.
 *
 * @param path      output directory of the store
 * @param batchSize rows per forward pass on each executor
 * @param taps        teacher layer names whose activations are stored, one column each ({@code tap_<name>})
 * @param incremental when the store exists, compute only the input partitions it lacks and add them to it
 *                    (scheduled runs over date-partitioned data) instead of refusing or recomputing everything
 */
public record SoftTargetSpec(String path, int batchSize, List<String> taps, boolean incremental) {

    static SoftTargetSpec from(Config c, ConfigProblems problems) {
        SoftTargetSpec s = new SoftTargetSpec(c.getString("path"), c.getInt("batch-size"), c.getStringList("taps"),
                c.getBoolean("incremental"));
        problems.check(s.batchSize > 0,
                "Key distillery.soft-targets.batch-size is " + s.batchSize + "; it must be positive.");
        return s;
    }
}
