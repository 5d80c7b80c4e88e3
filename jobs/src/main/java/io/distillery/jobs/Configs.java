package io.distillery.jobs;

import com.typesafe.config.ConfigRenderOptions;
import io.distillery.config.DistilleryConfig;

/** Renders config subtrees canonically (sorted keys, no comments) for fingerprints. */
final class Configs {
    private Configs() {
    }

    static String render(DistilleryConfig cfg, String path) {
        return cfg.raw().getValue(path).render(ConfigRenderOptions.concise());
    }
}
