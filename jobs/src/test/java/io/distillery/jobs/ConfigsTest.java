package io.distillery.jobs;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Configs#render}: the data and schedule keys added after fingerprints were first recorded leave every
 * stage's fingerprint as it was while they hold the value that means the old behaviour, so outputs committed before
 * them stay up to date; set otherwise (the protocol's defaults included), they change it.
 */
class ConfigsTest {
    private static DistilleryConfig load(String... more) {
        List<String> o = new ArrayList<>(List.of("data.train=/data/train", "data.test=/data/test"));
        o.addAll(List.of(more));
        return ConfigLoader.load(null, o);
    }

    @Test
    void newDataKeysAtTheirNeutralValuesAreLeftOut() {
        // validation-fraction = 0 is how data was read before the key existed; its default (0.1) changes training.
        String neutral = Configs.render(load("data.validation-fraction=0"), "data");
        assertFalse(neutral.contains("label-index") || neutral.contains("csv")
                || neutral.contains("validation-fraction"), neutral);
        // The keys that were always there, as before: the whole subtree minus the seven new keys.
        String before = load().raw().getConfig("data").withoutPath("label-index").withoutPath("csv")
                .withoutPath("validation-fraction").withoutPath("validation").withoutPath("scaling")
                .withoutPath("student-features-column").withoutPath("student-feature-columns").root()
                .render(com.typesafe.config.ConfigRenderOptions.concise());
        assertEquals(before, neutral);
        assertTrue(neutral.contains("\"train\":\"/data/train\""), neutral);
        assertTrue(Configs.render(load(), "data").contains("\"validation-fraction\":0.1"), "the default is rendered");
    }

    @Test
    void scalingLeavesTheFingerprintAtNoneAndChangesItWhenSet() {
        String none = Configs.render(load("data.scaling=none"), "data");
        assertFalse(none.contains("scaling"), none);
        assertEquals(Configs.render(load(), "data"), none);
        String standard = Configs.render(load("data.scaling=standard"), "data");
        assertTrue(standard.contains("\"scaling\":\"standard\""), standard);
    }

    @Test
    void aStudentViewLeavesTheFingerprintWhenEmptyAndChangesItWhenSet() {
        String none = Configs.render(load(), "data");
        assertFalse(none.contains("student-feature"), none);
        assertTrue(Configs.render(load("data.student-features-column=profile"), "data")
                .contains("\"student-features-column\":\"profile\""));
        assertTrue(Configs.render(load("data.student-feature-columns=[a,b]"), "data")
                .contains("\"student-feature-columns\":[\"a\",\"b\"]"));
    }

    @Test
    void aStudentViewWithScalingIsRefusedInOneSentence() {
        io.distillery.config.DistilleryException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.distillery.config.DistilleryException.class,
                () -> load("data.student-features-column=profile", "data.scaling=standard"));
        assertTrue(e.getMessage().contains("distillery.data.scaling is standard")
                && e.getMessage().contains("profile"), e.getMessage());
    }

    @Test
    void scheduleKeysThatCannotChangeTheModelAreLeftOut() {
        // patience = 0 (no early stopping) is how models trained before the key existed; its default (5) is not.
        String before = load().raw().getConfig("student.train").withoutPath("checkpoint-rounds")
                .withoutPath("patience").root().render(com.typesafe.config.ConfigRenderOptions.concise());
        assertEquals(before, Configs.render(load("student.train.patience=0"), "student.train"));
        assertEquals(before, Configs.render(load("student.train.patience=0", "student.train.checkpoint-rounds=7"),
                "student.train"));
        assertTrue(Configs.render(load(), "student.train").contains("\"patience\":5"));
        assertTrue(Configs.render(load("student.train.patience=3"), "student.train").contains("\"patience\":3"));
        assertEquals(Configs.render(load(), "codistill"),
                Configs.render(load("codistill.train.checkpoint-rounds=7"), "codistill"));
    }

    @Test
    void everyCommittedConfigLoads() throws java.io.IOException {
        List<java.nio.file.Path> confs;
        try (var files = java.nio.file.Files.list(io.distillery.testing.Cli.repo().resolve("conf"))) {
            confs = files.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
        }
        assertTrue(confs.size() >= 8, confs::toString);
        for (java.nio.file.Path conf : confs) {
            DistilleryConfig cfg = ConfigLoader.load(conf.toFile(), List.of());
            assertFalse(cfg.schemes().isEmpty(), conf::toString);
        }
    }

    @Test
    void newDataKeysThatAreSetChangeTheRendering() {
        String defaults = Configs.render(load(), "data");
        assertTrue(Configs.render(load("data.label-index=0"), "data").contains("\"label-index\":0"));
        assertTrue(Configs.render(load("data.csv.header=false"), "data").contains("\"header\":false"));
        assertFalse(defaults.equals(Configs.render(load("data.csv.delimiter=\";\""), "data")));
        assertTrue(Configs.render(load("data.validation-fraction=0.1"), "data")
                .contains("\"validation-fraction\":0.1"));
        assertEquals("[\"h1\"]", Configs.render(load("soft-targets.taps=[h1]",
                "teacher.model.layers=[{type=dense,name=h1,units=8}]"), "soft-targets.taps"), "non-object values");
    }
}
