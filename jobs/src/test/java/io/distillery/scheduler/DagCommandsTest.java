package io.distillery.scheduler;

import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.cli.DistillCli;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Airflow DAGs of {@code deploy/scheduler/distillery_dag.py}, read by {@code dag_commands.py} with Python's
 * {@code ast} (no Airflow): every distill-submit task names a real subcommand with real options, checked against
 * the picocli model of {@link DistillCli} (so renaming an option breaks this test), every script task a script
 * there is, and the daily DAG publishes only after the gated evaluation.
 */
class DagCommandsTest {
    private static final Path DAG = Cli.repo().resolve("deploy/scheduler/distillery_dag.py");

    /** One task as dag_commands.py reports it. */
    record Task(String task_id, String kind, String script, List<String> argv, List<String> optional_flags) {
    }

    /** One DAG as dag_commands.py reports it. */
    record Dag(List<Task> tasks, List<List<String>> edges) {
    }

    @Test
    void everyTaskNamesAnExistingSubcommandAndOption() throws Exception {
        Map<String, Dag> dags = read(DAG);
        assertEquals(List.of("distillery_pipeline", "distillery_daily"), List.copyOf(dags.keySet()));
        int checked = 0;
        for (Map.Entry<String, Dag> dag : dags.entrySet()) {
            for (Task task : dag.getValue().tasks()) {
                check(dag.getKey(), task);
                checked++;
            }
        }
        assertEquals(9, checked);
    }

    @Test
    void theDailyDagPublishesOnlyAfterTheGatedEvaluation() throws Exception {
        Dag daily = read(DAG).get("distillery_daily");
        assertEquals(List.of(List.of("soft_targets", "distill"), List.of("distill", "evaluate"),
                List.of("evaluate", "publish")), daily.edges());
        Task soft = task(daily, "soft_targets");
        assertTrue(soft.argv().contains("soft-targets.incremental=true"), soft::toString);
        assertEquals(List.of(), soft.optional_flags(), "--overwrite would recompute the stored dates");
        Task evaluate = task(daily, "evaluate");
        int previous = evaluate.argv().indexOf("--previous");
        assertTrue(previous > 0 && evaluate.argv().get(previous + 1).contains("/published/evaluation"),
                evaluate::toString);
        Task publish = task(daily, "publish");
        assertEquals("publish.sh", publish.script());
        assertEquals(2, publish.argv().size(), "publish.sh RUN_DIR DATE");
    }

    @Test
    void aRenamedOptionFailsTheCheck(@TempDir Path dir) throws Exception {
        Path renamed = dir.resolve("renamed_dag.py");
        String text = Files.readString(DAG);
        assertTrue(text.contains("\"--previous\""));
        Files.writeString(renamed, text.replace("\"--previous\"", "\"--previous-metrics\""));
        Task evaluate = task(read(renamed).get("distillery_daily"), "evaluate");
        AssertionError e = assertThrows(AssertionError.class, () -> check("distillery_daily", evaluate));
        assertTrue(e.getMessage().contains("--previous-metrics"), e.getMessage());
    }

    /** A distill task must parse with the real command line; a script task must name an executable script. */
    private static void check(String dag, Task task) {
        String where = dag + "." + task.task_id() + ": ";
        if (task.kind().equals("script")) {
            Path script = Cli.repo().resolve("deploy/scheduler").resolve(task.script());
            assertTrue(Files.isExecutable(script), where + script + " is not an executable script");
            return;
        }
        assertEquals("distill", task.kind(), where + "unknown kind");
        CommandLine cli = new CommandLine(new DistillCli());
        String name = task.argv().get(0);
        CommandLine sub = cli.getSubcommands().get(name);
        if (sub == null) {
            throw new AssertionError(where + "'" + name + "' is not a subcommand of distill: "
                    + cli.getSubcommands().keySet());
        }
        CommandSpec spec = sub.getCommandSpec();
        List<String> args = new ArrayList<>(task.argv());
        args.addAll(task.optional_flags());
        for (String a : args.subList(1, args.size())) {
            if (a.startsWith("-") && spec.findOption(a) == null) {
                throw new AssertionError(where + "'" + a + "' is not an option of distill " + name + ": "
                        + spec.optionsMap().keySet());
            }
        }
        // The whole line as the CLI would parse it: arity, values and the CONFIG parameter.
        try {
            CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(new String[0]));
            assertEquals(name, parsed.subcommand().commandSpec().name(), where + args);
        } catch (CommandLine.ParameterException e) {
            throw new AssertionError(where + "distill " + String.join(" ", args) + ": " + e.getMessage(), e);
        }
    }

    private static Task task(Dag dag, String id) {
        return dag.tasks().stream().filter(t -> t.task_id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no task " + id + " in " + dag));
    }

    private static Map<String, Dag> read(Path dagFile) throws IOException, InterruptedException {
        Path helper = Cli.repo().resolve("deploy/scheduler/dag_commands.py");
        Process p = new ProcessBuilder("/usr/bin/python3", helper.toString(), dagFile.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "dag_commands.py did not finish");
        assertEquals(0, p.exitValue(), "dag_commands.py failed:\n" + err);
        return ProvenanceJson.mapper().readValue(out, new TypeReference<java.util.LinkedHashMap<String, Dag>>() {
        });
    }
}
