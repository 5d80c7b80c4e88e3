package io.distillery.cli;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.jobs.CodistillJob;
import io.distillery.jobs.DistillJob;
import io.distillery.jobs.EvaluateJob;
import io.distillery.jobs.EvaluationGate;
import io.distillery.jobs.JobContext;
import io.distillery.jobs.MultiTeacherJob;
import io.distillery.jobs.PipelineRun;
import io.distillery.jobs.Reports;
import io.distillery.jobs.SelfDistillJob;
import io.distillery.jobs.SoftTargetsJob;
import io.distillery.jobs.SweepJob;
import io.distillery.jobs.TrainTeacherJob;
import io.distillery.report.ReportPage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** The thin subcommands: each names its stage and calls its job. */
final class Commands {
    private Commands() {
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run every stage (train-teacher, soft-targets, distill, distill --baseline, evaluate), "
                    + "skipping stages whose outputs exist with matching provenance; print a summary table.")
    static final class Run extends StageCommand {
        @Override
        protected void run(JobContext ctx) {
            Map<String, Object> metrics = PipelineRun.run(ctx);
            Map<String, String> paths = EvaluateJob.modelPaths(ctx.config());
            System.out.println();
            System.out.print(Reports.table(metrics, paths));
            if (ctx.files().exists(ctx.config().softTargets().path())) {
                System.out.println("soft-target store: " + ctx.config().softTargets().path());
            }
            System.out.println("metrics:           " + ctx.config().evaluate().path() + "/"
                    + EvaluateJob.METRICS_FILE);
            System.out.println("report:            " + ctx.config().evaluate().path() + "/" + ReportPage.FILE);
        }

        @Override
        protected void validate(DistilleryConfig config) {
            EvaluationGate.checkModels(config.evaluate().gate(), EvaluateJob.modelPaths(config).keySet());
        }

        @Override
        protected String stageName() {
            return "run";
        }
    }

    @Command(name = "train-teacher", mixinStandardHelpOptions = true,
            description = "Train the teacher by parameter averaging and save it with its provenance.")
    static final class TrainTeacher extends StageCommand {
        @Override
        protected void run(JobContext ctx) {
            TrainTeacherJob.run(ctx);
        }

        @Override
        protected String stageName() {
            return "train-teacher";
        }
    }

    @Command(name = "soft-targets", mixinStandardHelpOptions = true,
            description = "Run the teacher over the training set and write the soft-target store (Parquet).")
    static final class SoftTargets extends StageCommand {
        @Override
        protected void run(JobContext ctx) {
            SoftTargetsJob.run(ctx);
        }

        @Override
        protected String stageName() {
            return "soft-targets";
        }
    }

    @Command(name = "distill", mixinStandardHelpOptions = true,
            description = "Train the student from the soft-target store (or, with --baseline, the same student "
                    + "without the teacher's targets; with --multi-teacher, from the stores of "
                    + "distillery.multi-teacher.teachers).")
    static final class Distill extends StageCommand {
        @Option(names = "--baseline", description = "Train the baseline student (the labelled rows only, no "
                + "teacher) instead.")
        boolean baseline;

        @Option(names = "--multi-teacher", description = "Train the multi-teacher student from every teacher's "
                + "store, their targets combined by distillery.multi-teacher.combine.")
        boolean multiTeacher;

        @Override
        protected void run(JobContext ctx) {
            if (baseline && multiTeacher) {
                throw new io.distillery.config.DistilleryException("Options --baseline and --multi-teacher exclude "
                        + "each other; the student alone is the same for one teacher or many.");
            }
            if (multiTeacher) {
                MultiTeacherJob.run(ctx);
            } else {
                DistillJob.run(ctx, baseline);
            }
        }

        @Override
        protected String stageName() {
            return baseline ? "distill-baseline" : multiTeacher ? "distill-multi-teacher" : "distill";
        }
    }

    @Command(name = "codistill", mixinStandardHelpOptions = true,
            description = "Train the models of distillery.codistill together (co-distillation, or deep mutual "
                    + "learning), each learning from the others' stale snapshots; one artifact per model.")
    static final class Codistill extends StageCommand {
        @Override
        protected void run(JobContext ctx) {
            CodistillJob.run(ctx);
        }

        @Override
        protected String stageName() {
            return "codistill";
        }
    }

    @Command(name = "self-distill", mixinStandardHelpOptions = true,
            description = "Train the student with exits on the hidden layers of distillery.self-distill.exits, the "
                    + "shallow exits taught by the deepest (or, with --alone, on the labels only).")
    static final class SelfDistill extends StageCommand {
        @Option(names = "--alone", description = "Train the exits on the labels only (alpha 0), for comparison.")
        boolean alone;

        @Override
        protected void run(JobContext ctx) {
            SelfDistillJob.run(ctx, alone);
        }

        @Override
        protected String stageName() {
            return alone ? "self-distill-alone" : "self-distill";
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "Evaluate models on the held-out set and write metrics.json.")
    static final class Evaluate extends StageCommand {
        @Option(names = "--model", paramLabel = "NAME=PATH",
                description = "Evaluate this model artifact instead of the configured ones; repeatable.")
        Map<String, String> models = new LinkedHashMap<>();

        @Option(names = "--reference", paramLabel = "NAME",
                description = "Model used as the teacher for agreement and KL (default: ${DEFAULT-VALUE}).",
                defaultValue = "teacher")
        String reference;

        @Option(names = "--previous", paramLabel = "PATH",
                description = "The previous run's metrics.json or evaluation directory, for the gate's "
                        + "max-accuracy-drop (sets distillery.evaluate.gate.previous; a missing one passes).")
        String previous;

        @Override
        public Integer call() {
            if (previous != null) {
                // Last, so that it wins over any -P for the same key.
                options.overrides.add("evaluate.gate.previous=" + ConfigValueFactory.fromAnyRef(previous)
                        .render(ConfigRenderOptions.concise()));
            }
            return super.call();
        }

        @Override
        protected void validate(DistilleryConfig config) {
            EvaluationGate.checkModels(config.evaluate().gate(),
                    models.isEmpty() ? EvaluateJob.modelPaths(config).keySet() : models.keySet());
        }

        @Override
        protected void run(JobContext ctx) {
            if (models.isEmpty()) {
                EvaluateJob.run(ctx);
            } else {
                EvaluateJob.run(ctx, models, reference);
            }
        }

        @Override
        protected String stageName() {
            return "evaluate";
        }
    }

    @Command(name = "sweep", mixinStandardHelpOptions = true,
            description = "Distil every student size of distillery.sweep (widths x depths of the configured student) "
                    + "from the one soft-target store, evaluate them with the teacher and plot accuracy against "
                    + "parameters and rows/s with the Pareto fronts in the report; sizes already done are skipped.")
    static final class Sweep extends StageCommand {
        @Override
        protected void run(JobContext ctx) {
            Map<String, Object> metrics = SweepJob.run(ctx);
            System.out.println();
            System.out.print(Reports.table(metrics, SweepJob.modelPaths(ctx.config())));
            System.out.println("metrics:           " + ctx.config().sweep().evaluationPath() + "/"
                    + EvaluateJob.METRICS_FILE);
            System.out.println("report:            " + ctx.config().sweep().evaluationPath() + "/"
                    + ReportPage.FILE);
        }

        @Override
        protected String stageName() {
            return "sweep";
        }
    }

    @Command(name = "summarize", mixinStandardHelpOptions = true,
            description = "Summarise several runs' metrics.json (e.g. one per seed): mean and std of each model's "
                    + "accuracy, the distilled student's margin over the baseline, the teacher-student gap closed.")
    static final class Summarize implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "METRICS_JSON", arity = "1..*",
                description = "metrics.json files written by evaluate.")
        java.util.List<java.nio.file.Path> files;

        @Option(names = "--reference", paramLabel = "MODEL",
                description = "Compare every model with this one (e.g. the student trained alone): margin in points "
                        + "and whether it exceeds twice the larger std.")
        String reference;

        @Override
        public Integer call() {
            io.distillery.jobs.Summary summary = io.distillery.jobs.Summary.of(files);
            System.out.print(reference == null ? summary.render() : summary.render(reference));
            return 0;
        }
    }

    @Command(name = "export-onnx", mixinStandardHelpOptions = true,
            description = "Export a trained model (teacher, student, or one exit of a self-distillation student) to "
                    + "an ONNX model: outputs logits, probabilities and any --taps, for serving or as an ONNX "
                    + "teacher (distillery.teacher.path = FILE.onnx).")
    static final class ExportOnnx implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "Model artifact directory (model.zip + metadata.json).")
        String model;

        @Option(names = "--output", required = true, paramLabel = "FILE.onnx", description = "The ONNX file.")
        String output;

        @Option(names = "--exit", paramLabel = "NAME",
                description = "For a self-distillation student: the exit to export (e.g. output, exit-hidden1).")
        String exit;

        @Option(names = "--taps", split = ",", paramLabel = "LAYER",
                description = "Layers whose activations become extra outputs of the same name.")
        java.util.List<String> taps = new java.util.ArrayList<>();

        @Option(names = "--overwrite", description = "Replace an existing output file.")
        boolean overwrite;

        @Option(names = "--int8", description = "Store every layer's weights as int8, one scale per output unit "
                + "(post-training quantisation). A model trained with model.quantize = int8 is exported with int8 "
                + "weights without it.")
        boolean int8;

        @Override
        public Integer call() {
            io.distillery.store.ArtifactFiles files = new io.distillery.store.ArtifactFiles(
                    new org.apache.hadoop.conf.Configuration());
            String dir = io.distillery.jobs.ExportOnnxJob.run(files, model, exit, output, taps, int8, overwrite);
            System.out.println("exported " + dir + " to " + output);
            return 0;
        }
    }

    @Command(name = "quantize", mixinStandardHelpOptions = true,
            description = "Post-training int8 quantisation of a trained float32 model: a new model artifact "
                    + "computing with its weights rounded to int8 per output unit, for evaluate --model and "
                    + "export-onnx.")
    static final class Quantize implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "The float32 model artifact directory (model.zip + metadata.json).")
        String model;

        @Option(names = "--output", required = true, paramLabel = "DIR", description = "The int8 model's directory.")
        String output;

        @Option(names = "--overwrite", description = "Replace an existing output directory.")
        boolean overwrite;

        @Override
        public Integer call() {
            io.distillery.store.ArtifactFiles files = new io.distillery.store.ArtifactFiles(
                    new org.apache.hadoop.conf.Configuration());
            io.distillery.jobs.QuantizeJob.run(files, model, output, overwrite);
            System.out.println("quantized " + model + " to int8 weights in " + output);
            return 0;
        }
    }

    @Command(name = "config", mixinStandardHelpOptions = true,
            description = "Print the resolved, validated config (defaults, file, environment and -P overrides).")
    static final class PrintConfig implements Callable<Integer> {
        @Mixin
        CommonOptions options;

        @Override
        public Integer call() {
            System.out.println(io.distillery.provenance.Redaction.redact(
                    ConfigLoader.load(options.config, options.overrides).render()));
            return 0;
        }
    }
}
