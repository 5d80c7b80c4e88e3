package io.distillery.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/** Options shared by every stage subcommand. */
final class CommonOptions {
    @Parameters(index = "0", paramLabel = "CONFIG",
            description = "Run config (HOCON), e.g. conf/fashion-mnist-offline.conf.")
    File config;

    @Option(names = "-P", paramLabel = "KEY=VALUE",
            description = "Override a config key (with or without the 'distillery.' prefix); repeatable.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master when not set by spark-submit (default: ${DEFAULT-VALUE}).",
            defaultValue = "local[*]")
    String master;

    @Option(names = "--overwrite", description = "Replace existing outputs instead of refusing.")
    boolean overwrite;

    @Option(names = "--resume", description = "Continue training from the last checkpoint.")
    boolean resume;
}
