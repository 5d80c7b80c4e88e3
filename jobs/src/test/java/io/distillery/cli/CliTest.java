package io.distillery.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line without Spark: usage for every subcommand, {@code config} as JSON, bad subcommands. */
class CliTest {

    @ParameterizedTest
    @ValueSource(strings = {"run", "train-teacher", "soft-targets", "distill", "evaluate", "sweep", "summarize",
        "config"})
    void helpOnEverySubcommand(String command) {
        Cli.Result r = Cli.run(command, "--help");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("Usage: distill " + command), r.out());
        assertTrue(r.out().contains("--help"), r.out());
    }

    @Test
    void topLevelHelpListsTheSubcommands() {
        Cli.Result r = Cli.run("--help");
        assertEquals(0, r.exit(), r::toString);
        for (String c : new String[] {"run", "train-teacher", "soft-targets", "distill", "evaluate", "sweep",
                "summarize", "config"}) {
            assertTrue(r.out().contains(c), r.out());
        }
    }

    @Test
    void stageHelpDocumentsTheCommonOptions() {
        Cli.Result r = Cli.run("train-teacher", "--help");
        for (String o : new String[] {"CONFIG", "-P", "--master", "--overwrite", "--resume"}) {
            assertTrue(r.out().contains(o), o + " missing from:\n" + r.out());
        }
        assertTrue(Cli.run("distill", "--help").out().contains("--baseline"));
    }

    @Test
    void configPrintsTheResolvedConfigAsJson() throws IOException {
        Cli.Result r = Cli.run("config", Cli.offlineConf().toString(), "-P", "seed=7",
                "-P", "distillery.distill.alpha=0.5", "-P", "run-dir=\"/runs/x\"");
        assertEquals(0, r.exit(), r::toString);
        JsonNode json = ProvenanceJson.mapper().readTree(r.out());
        assertEquals(7, json.get("seed").asInt());
        assertEquals(0.5, json.get("distill").get("alpha").asDouble());
        // The file's own values and the defaults are there too, with paths resolved under run-dir.
        assertEquals(0.2, json.get("distill").get("labelled-fraction").asDouble());
        assertEquals("/runs/x/teacher", json.get("teacher").get("path").asText());
        assertEquals("data-samples/fashion-mnist/train", json.get("data").get("train").asText());
        assertEquals(15, json.get("evaluate").get("ece-bins").asInt());
    }

    @Test
    void configWithABadKeyIsAUserError() {
        Cli.Result r = Cli.run("config", Cli.offlineConf().toString(), "-P", "seeed=7");
        assertEquals(2, r.exit(), r::toString);
        assertTrue(r.error().contains("distillery.seeed"), r.error());
    }

    @Test
    void unknownSubcommandFails() {
        Cli.Result r = Cli.run("distil", Cli.offlineConf().toString());
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.err().contains("distil"), r.err());
    }

    @Test
    void missingConfigArgumentFails() {
        Cli.Result r = Cli.run("train-teacher");
        assertNotEquals(0, r.exit(), r::toString);
        assertTrue(r.err().contains("CONFIG"), r.err());
    }
}
