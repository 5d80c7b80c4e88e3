package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.GateSpec;
import io.distillery.data.Canonical;
import io.distillery.data.InputPreparation;
import io.distillery.data.LabelIndex;
import io.distillery.eval.ClassificationMetrics;
import io.distillery.eval.DistributedEvaluation;
import io.distillery.eval.EvaluationResult;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.report.ReportPage;
import io.distillery.store.AtomicOutput;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code evaluate}: distributed evaluation of the teacher, the distilled student and the baseline (whichever exist)
 * on the held-out set, in one pass over it. Writes {@code metrics.json}: per model accuracy, per-class accuracy,
 * agreement with the teacher, mean KL(teacher || model), NLL, ECE, parameter count, serialized size and forward
 * throughput, the reliability bins behind the ECE and the confusion matrix; and {@code report.html}
 * ({@link ReportPage}) beside it. Each model reads its own view of the test rows: the teacher {@code features}, a
 * cross-modal student or baseline the student's columns (its {@code student-features} fact).
 */
public final class EvaluateJob {
    static final String STAGE = "evaluate";
    /** File name of the metrics inside the evaluation directory. */
    public static final String METRICS_FILE = "metrics.json";
    /** Key of the class names (index order) in {@code metrics.json}, present for string labels. */
    public static final String CLASS_NAMES = "classNames";
    private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

    private EvaluateJob() {
    }

    /**
     * Role name and artifact path of every model the config's schemes produce, in report order: the teacher, then
     * each scheme's models (the offline student and baseline, each co-distilled model by its name).
     */
    public static Map<String, String> modelPaths(DistilleryConfig cfg) {
        Map<String, String> paths = new LinkedHashMap<>();
        if (!TeacherArtifact.isOnnx(cfg.teacher().path())) {
            // evaluate runs DL4J models; an ONNX teacher is not one (its store's students are evaluated).
            paths.put("teacher", cfg.teacher().path());
        }
        for (Scheme scheme : Scheme.configured(cfg)) {
            paths.putAll(scheme.models(cfg));
        }
        return paths;
    }

    static String fingerprint(JobContext ctx, Map<String, String> modelPaths) {
        DistilleryConfig cfg = ctx.config();
        List<String> parts = new ArrayList<>(List.of(STAGE, Configs.render(cfg, "data"),
                Configs.render(cfg, "evaluate.ece-bins"), ctx.files().dataIdentity(cfg.data().test())));
        modelPaths.forEach((name, path) -> {
            if (ctx.files().isCommitted(path)) {
                parts.add(name + "=" + ModelArtifact.hash(ctx.files(), path));
            }
        });
        GateSpec gate = cfg.evaluate().gate();
        if (gate.active()) {
            // Only with a gate, so that the fingerprints of evaluations made before the gate existed still match.
            String previous = EvaluationGate.previousFile(gate);
            parts.add("gate=" + Configs.render(cfg, "evaluate.gate"));
            parts.add("previous=" + (previous != null && ctx.files().exists(previous)
                    ? ctx.files().contentHash(previous) : "none"));
        }
        return Fingerprint.of(parts.toArray(new String[0]));
    }

    /**
     * How long a model trained, from its provenance: {@code epochsTrained} and, when early stopping chose one,
     * {@code bestEpoch} (the epoch whose parameters were kept). Empty for models trained before these were recorded.
     */
    static Map<String, Object> epochs(Provenance model) {
        Map<String, Object> out = new LinkedHashMap<>();
        String trained = model.fact("epochs-trained");
        String best = model.fact("best-epoch");
        if (trained != null) {
            out.put("epochsTrained", Integer.parseInt(trained));
        }
        if (best != null) {
            out.put("bestEpoch", Integer.parseInt(best));
        }
        return out;
    }

    /** Evaluates the configured teacher, student and baseline; returns the metrics document. */
    public static Map<String, Object> run(JobContext ctx) {
        return run(ctx, modelPaths(ctx.config()), "teacher");
    }

    /**
     * Evaluates any models and writes metrics.json.
     *
     * @param modelPaths report name to artifact directory; missing ones are skipped
     * @param teacher    name of the reference model for agreement and KL (or null)
     * @return the metrics document
     */
    public static Map<String, Object> run(JobContext configured, Map<String, String> modelPaths, String teacher) {
        return run(configured, modelPaths, teacher, Map.of());
    }

    /**
     * Evaluates any models and writes metrics.json with {@code extra} entries (the sweep's list of points).
     *
     * @param extra more top-level entries of the metrics document
     */
    public static Map<String, Object> run(JobContext configured, Map<String, String> modelPaths, String teacher,
                                          Map<String, Object> extra) {
        String output = configured.config().evaluate().path();
        StageOutput.checkWritable(configured, output);
        GateSpec gate = configured.config().evaluate().gate();
        EvaluationGate.checkModels(gate, modelPaths.keySet());
        // Read before this run replaces anything: previous may be this very evaluation directory.
        Map<String, Object> previous = gate.active() ? EvaluationGate.readPrevious(configured.files(), gate) : null;
        List<DistributedEvaluation.NamedModel> models = new ArrayList<>();
        Map<String, Map<String, Object>> sizes = new LinkedHashMap<>();
        List<Provenance.InputRef> inputs = new ArrayList<>();
        Map<String, InputPreparation> preparations = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : modelPaths.entrySet()) {
            String path = e.getValue();
            if (!configured.files().isCommitted(path)) {
                LOG.info("evaluate: no {} at {}, skipped", e.getKey(), path);
                continue;
            }
            preparations.put(e.getKey(), preparation(configured, e.getKey(), path));
        }
        // Every model is compared on the same test rows with the same labels: they must share the reference's
        // class names and scaling statistics (the reference: the teacher when evaluated, else the first model).
        String reference = preparations.containsKey(teacher) ? teacher
                : preparations.keySet().stream().findFirst().orElse(null);
        if (reference != null) {
            preparations.forEach((name, p) -> checkSamePreparation(name, modelPaths.get(name), p, reference,
                    modelPaths.get(reference), preparations.get(reference)));
        }
        JobContext ctx = reference == null ? configured : configured.prepared(preparations.get(reference));
        DistilleryConfig cfg = ctx.config();
        for (Map.Entry<String, InputPreparation> e : preparations.entrySet()) {
            String path = modelPaths.get(e.getKey());
            String hash = ModelArtifact.hash(ctx.files(), path);
            MultiLayerNetwork net = ModelArtifact.load(ctx.files(), path);
            Provenance provenance = ctx.files().readProvenance(path);
            Map<String, Object> size = new LinkedHashMap<>();
            size.put("parameters", net.numParams());
            size.put("serializedBytes", ModelArtifact.sizeBytes(ctx.files(), path));
            size.putAll(epochs(provenance));
            sizes.put(e.getKey(), size);
            models.add(new DistributedEvaluation.NamedModel(e.getKey(),
                    ctx.files().readBytes(path + "/" + ModelArtifact.MODEL_FILE), hash, e.getValue().scaling(),
                    inputColumn(cfg, e.getKey(), path, provenance)));
            inputs.add(new Provenance.InputRef(e.getKey(), path, hash));
        }
        if (models.isEmpty()) {
            throw new DistilleryException("No model to evaluate: none of " + modelPaths.values()
                    + " holds a committed model.");
        }
        // Labels indexed with the models' class names; each model's own statistics scale the rows on the executors.
        // With a student view the rows carry both views (features and student_features); each model reads its own.
        Dataset<Row> test = Inputs.testUnscaled(ctx);
        Map<String, Integer> widths = new LinkedHashMap<>();
        widths.put(Canonical.FEATURES, Inputs.featureWidth(ctx, test));
        if (models.stream().anyMatch(m -> m.column().equals(Canonical.STUDENT_FEATURES))) {
            widths.put(Canonical.STUDENT_FEATURES, Inputs.studentWidth(ctx, test));
        }
        EvaluationResult result = DistributedEvaluation.evaluate(ctx.sc(), test, models,
                sizes.containsKey(teacher) ? teacher : null, cfg.data().numClasses(), widths,
                cfg.evaluate().batchSize(), cfg.evaluate().eceBins());
        LabelIndex classes = ctx.preparation().labels();

        Map<String, Object> report = new LinkedHashMap<>();
        for (String name : sizes.keySet()) {
            ClassificationMetrics m = result.metrics().get(name);
            Map<String, Object> entry = new LinkedHashMap<>(m.toMap());
            if (classes.isNamed()) {
                entry.put("perClassAccuracyByName", byName(classes, entry.get("perClassAccuracy")));
            }
            entry.putAll(sizes.get(name));
            entry.put("forwardRowsPerSecondPerThread", result.rowsPerSecond(name));
            report.put(name, entry);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("testData", cfg.data().test());
        if (classes.isNamed()) {
            document.put(CLASS_NAMES, classes.names());  // index order: perClassAccuracy[i] is classNames[i]
        }
        document.put("models", report);
        document.putAll(extra);
        // Fraction of test rows on which two models predict different classes; between two retrains of one
        // procedure (seeds s and s') this is its retrain churn.
        document.put("disagreement", result.disagreement());
        EvaluationGate.Verdict verdict = null;
        if (gate.active()) {
            verdict = EvaluationGate.judge(gate, report, previous, EvaluationGate.previousFile(gate));
            document.put("gate", verdict.toMap(gate, EvaluationGate.previousFile(gate)));
        }
        inputs.add(new Provenance.InputRef("test-data", cfg.data().test(),
                ctx.files().dataIdentity(cfg.data().test())));
        Provenance provenance = ctx.provenance(STAGE, inputs, Map.of(Fingerprint.FACT, fingerprint(ctx, modelPaths)));
        try (AtomicOutput out = AtomicOutput.begin(ctx.files(), output, ctx.overwrite())) {
            ctx.files().writeText(out.path() + "/" + METRICS_FILE,
                    ProvenanceJson.mapper().writeValueAsString(document));
            ctx.files().writeProvenance(out.path(), provenance);
            // The page beside the numbers, committed with them: it always shows this metrics.json.
            ctx.files().writeText(out.path() + "/" + ReportPage.FILE,
                    ReportPage.render(ctx.files(), document, modelPaths, provenance));
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String name : sizes.keySet()) {
            LOG.info(String.format("evaluate: %-8s accuracy %.4f", name, result.metrics().get(name).accuracy()));
        }
        result.disagreement().forEach((pair, d) -> LOG.info(String.format("evaluate: %s disagree on %.4f of the "
                + "test rows", pair, d)));
        if (verdict != null) {
            verdict.notes().forEach(n -> LOG.info("evaluate: gate: {}", n));
            if (!verdict.passed()) {
                throw new GateFailed(verdict.violations(), output + "/" + METRICS_FILE);
            }
            LOG.info("evaluate: gate passed ({} models checked)", gate.models().size());
        }
        return document;
    }

    /**
     * The canonical column a model reads: {@code student_features} for a model trained on the student's own view
     * (fact {@code student-features}, which must be the configured view), {@code features} otherwise.
     */
    static String inputColumn(DistilleryConfig cfg, String name, String path, Provenance model) {
        String view = model.fact(StoreWidths.STUDENT_FEATURES);
        if (view == null || view.isBlank()) {
            return Canonical.FEATURES;
        }
        if (!view.equals(cfg.data().studentViewName())) {
            throw new DistilleryException("Model '" + name + "' at " + path + " reads the student view '" + view
                    + "' (fact student-features) but the config names " + (cfg.data().hasStudentView()
                    ? "the student view '" + cfg.data().studentViewName() + "'" : "no student view")
                    + " (distillery.data.student-features-column / student-feature-columns); set it to '" + view
                    + "' to evaluate this model.");
        }
        return Canonical.STUDENT_FEATURES;
    }

    /** How a model's inputs were prepared, from its metadata.json, checked against the configured scaling. */
    private static InputPreparation preparation(JobContext ctx, String name, String path) {
        InputPreparation p = InputPreparation.fromFacts(ctx.files().readProvenance(path), path,
                "model '" + name + "' at " + path, ctx.config().data().numClasses());
        Inputs.checkScalingConfigured(ctx, p.scaling(), "model '" + name + "' at " + path);
        return p;
    }

    private static void checkSamePreparation(String name, String path, InputPreparation p, String reference,
                                             String referencePath, InputPreparation expected) {
        if (!p.labels().equals(expected.labels())) {
            throw new DistilleryException("Model '" + name + "' at " + path + " has " + p.labels().describe()
                    + " but " + reference + " at " + referencePath + " has " + expected.labels().describe()
                    + "; models compared on one test set must share their classes.");
        }
        if (!p.scaling().sameAs(expected.scaling())) {
            throw new DistilleryException("Model '" + name + "' at " + path + " was trained on features scaled "
                    + "with " + p.scaling().describe() + " but " + reference + " at " + referencePath + " with "
                    + expected.scaling().describe() + "; evaluate models made from the same statistics together.");
        }
    }

    /** Per-class accuracies keyed by class name, in index order. */
    private static Map<String, Object> byName(LabelIndex classes, Object perClass) {
        List<?> values = (List<?>) perClass;
        Map<String, Object> named = new LinkedHashMap<>();
        for (int i = 0; i < classes.count(); i++) {
            named.put(classes.names().get(i), values.get(i));
        }
        return named;
    }
}
