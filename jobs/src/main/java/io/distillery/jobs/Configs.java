package io.distillery.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryConfig;

/** Renders config subtrees canonically (sorted keys, no comments) for fingerprints. */
final class Configs {
    private Configs() {
    }

    static String render(DistilleryConfig cfg, String path) {
        if ("data".equals(path)) {
            return withoutNewDefaults(cfg.raw().getConfig(path), cfg.data()).root()
                    .render(ConfigRenderOptions.concise());
        }
        if (path.endsWith(".train")) {
            return withoutScheduleOnlyKeys(cfg.raw().getConfig(path)).root().render(ConfigRenderOptions.concise());
        }
        if ("codistill".equals(path)) {
            Config c = cfg.raw().getConfig(path);
            return c.withValue("train", withoutScheduleOnlyKeys(c.getConfig("train")).root()).root()
                    .render(ConfigRenderOptions.concise());
        }
        return cfg.raw().getValue(path).render(ConfigRenderOptions.concise());
    }

    /**
     * A training schedule without the keys that cannot change the trained model ({@code checkpoint-rounds}: how
     * often the state is saved) or that were added after fingerprints were first recorded while they hold their
     * defaults ({@code patience = 0}).
     */
    private static Config withoutScheduleOnlyKeys(Config train) {
        Config out = train.withoutPath("checkpoint-rounds");
        if (train.hasPath("patience") && train.getInt("patience") == 0) {
            out = out.withoutPath("patience");
        }
        return out;
    }

    /**
     * The data subtree without the keys added after fingerprints were first recorded ({@code label-index},
     * {@code csv}, {@code validation-fraction}, {@code validation}, {@code scaling}, {@code student-features-column},
     * {@code student-feature-columns}) while they hold their defaults: they do not
     * change how the data is read then, and leaving them out keeps every output committed before them up to date.
     */
    private static Config withoutNewDefaults(Config data, DataSpec spec) {
        Config out = data;
        if (spec.labelIndex() == -1) {
            out = out.withoutPath("label-index");
        }
        if (spec.csv().equals(DataSpec.Csv.DEFAULT)) {
            out = out.withoutPath("csv");
        }
        if (spec.validationFraction() == 0.0) {
            out = out.withoutPath("validation-fraction");
        }
        if (spec.validation().isBlank()) {
            out = out.withoutPath("validation");
        }
        if ("none".equals(spec.scaling())) {
            out = out.withoutPath("scaling");
        }
        if (spec.studentFeaturesColumn().isBlank()) {
            out = out.withoutPath("student-features-column");
        }
        if (spec.studentFeatureColumns().isEmpty()) {
            out = out.withoutPath("student-feature-columns");
        }
        return out;
    }
}
