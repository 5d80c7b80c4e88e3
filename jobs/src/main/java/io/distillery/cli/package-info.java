/** The picocli command line: a thin subcommand per Spark job, exit codes, session creation. */
package io.distillery.cli;
