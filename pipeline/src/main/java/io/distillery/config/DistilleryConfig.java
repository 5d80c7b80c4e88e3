package io.distillery.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;

/**
 * The whole run, resolved and validated: one HOCON file ({@code distillery { ... }}) describes every stage.
 * Immutable; built by {@link ConfigLoader}.
 *
 * @param seed         the one seed from which every per-partition and per-epoch RNG is derived
 * @param runDir       root directory of the run's artifacts
 * @param data         input data and its columns
 * @param teacher      teacher architecture, training and artifact path
 * @param softTargets  the soft-target store
 * @param student      student architecture, training and artifact path
 * @param baseline     the same student trained without a teacher: its artifact path and schedule (the student's
 *                     architecture; {@code baseline.train} defaults to {@code student.train})
 * @param distill      the distillation objective
 * @param codistill    co-distillation and mutual learning
 * @param multiTeacher multi-teacher offline distillation
 * @param selfDistill  self-distillation with exits
 * @param evaluate     the evaluation stage
 * @param sweep        the student-size sweep
 * @param schemes      what {@code run} trains: {@code offline} (teacher, store, student, baseline) and/or
 *                     {@code codistill}
 * @param raw          the resolved HOCON subtree, recorded in provenance
 */
public record DistilleryConfig(long seed, String runDir, DataSpec data, RoleSpec teacher, SoftTargetSpec softTargets,
                               RoleSpec student, RoleSpec baseline, DistillSpec distill, CodistillSpec codistill,
                               MultiTeacherSpec multiTeacher, SelfDistillSpec selfDistill,
                               EvaluateSpec evaluate, SweepSpec sweep, List<String> schemes, Config raw) {

    /** The scheme names {@code schemes} may list. */
    public static final List<String> SCHEMES = List.of("offline", "codistill", "multi-teacher", "self-distill");

    static DistilleryConfig from(Config root) {
        Config c = root.getConfig("distillery");
        ConfigProblems problems = new ConfigProblems();
        RoleSpec student = RoleSpec.from(c.getConfig("student"), "distillery.student", problems);
        RoleSpec baseline = new RoleSpec(c.getString("baseline.path"), student.model(),
                TrainSpec.from(c.getConfig("baseline.train"), "distillery.baseline.train", problems));
        DistilleryConfig cfg = new DistilleryConfig(c.getLong("seed"), c.getString("run-dir"),
                DataSpec.from(c.getConfig("data"), problems),
                RoleSpec.from(c.getConfig("teacher"), "distillery.teacher", problems),
                SoftTargetSpec.from(c.getConfig("soft-targets"), problems), student, baseline,
                DistillSpec.from(c.getConfig("distill"), problems),
                CodistillSpec.from(c.getConfig("codistill"), c.getConfig("student.model"), problems),
                MultiTeacherSpec.from(c.getConfig("multi-teacher"), c.getConfig("teacher.model"),
                        c.getConfig("teacher.train"), problems),
                SelfDistillSpec.from(c.getConfig("self-distill"), problems),
                EvaluateSpec.from(c.getConfig("evaluate"), problems),
                SweepSpec.from(c.getConfig("sweep"), problems), List.copyOf(c.getStringList("schemes")), c);
        problems.check(!cfg.schemes.isEmpty() && SCHEMES.containsAll(cfg.schemes), "Key distillery.schemes is "
                + cfg.schemes + "; list one or more of " + SCHEMES + ".");
        problems.check(!cfg.teacher.model().layers().isEmpty(),
                "Key distillery.teacher.model.layers is empty; the teacher needs at least one hidden layer.");
        problems.check(!cfg.student.model().layers().isEmpty() || cfg.student.model().derivedFromTeacher(),
                "Key distillery.student.model.layers is empty and derive-from-teacher is not set; "
                        + "declare the student.");
        // With num-classes = 0 (from the data) soft-targets checks top-k against the teacher instead.
        problems.check(cfg.data.numClasses() == 0 || cfg.softTargets.topK() <= cfg.data.numClasses(),
                "Key distillery.soft-targets.top-k is " + cfg.softTargets.topK()
                        + " but distillery.data.num-classes is " + cfg.data.numClasses()
                        + "; a store cannot keep more classes than there are.");
        problems.throwIfAny();
        return cfg;
    }

    /**
     * This run as teacher {@code name} of {@code multi-teacher} sees it: that teacher's model and schedule as
     * {@code teacher.model} and {@code teacher.train}, its artifact as {@code teacher.path} and its store as
     * {@code soft-targets.path}; everything else unchanged. So {@code train-teacher} and {@code soft-targets} make
     * each of the K teachers and stores exactly as they make the one.
     */
    public DistilleryConfig forTeacher(String name) {
        Config entry = raw.getConfigList("multi-teacher.teachers").stream()
                .filter(t -> t.hasPath("name") && t.getString("name").equals(name)).findFirst()
                .orElseThrow(() -> new DistilleryException("Key distillery.multi-teacher.teachers has no teacher '"
                        + name + "'; its teachers are " + multiTeacher.names() + "."));
        Config derived = raw;
        for (String key : List.of("model", "train")) {
            if (entry.hasPath(key)) {
                derived = derived.withValue("teacher." + key,
                        entry.getConfig(key).withFallback(raw.getConfig("teacher." + key)).root());
            }
        }
        if (entry.hasPath("taps")) { // the teacher's own layers to store; by default soft-targets.taps
            derived = derived.withValue("soft-targets.taps", entry.getValue("taps"));
        }
        derived = derived.withValue("teacher.path", ConfigValueFactory.fromAnyRef(multiTeacher.teacherPath(name)))
                .withValue("soft-targets.path", ConfigValueFactory.fromAnyRef(multiTeacher.storePath(name)));
        return from(derived.atKey("distillery"));
    }

    /**
     * This run as sweep point {@code p} sees it: its layers as {@code student.model.layers} (not derived from the
     * teacher any more: the point's layers already are) and its artifact as {@code student.path}; everything else
     * unchanged, so {@code distill} trains it exactly as it trains the student.
     */
    public DistilleryConfig forSweepPoint(SweepSpec.Point p) {
        List<Map<String, Object>> layers = new ArrayList<>();
        for (LayerSpec l : p.layers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", l.type());
            m.put("name", l.name());
            if (!l.type().equals("pool")) {
                m.put("units", l.units());
            }
            m.put("kernel", l.kernel());
            m.put("stride", l.stride());
            m.put("activation", l.activation());
            m.put("dropout", l.dropout());
            layers.add(m);
        }
        Config derived = raw.withoutPath("student.model.derive-from-teacher")
                .withValue("student.model.layers", ConfigValueFactory.fromIterable(layers))
                .withValue("student.path", ConfigValueFactory.fromAnyRef(sweep.pointPath(p)));
        return from(derived.atKey("distillery"));
    }

    /** This run with the evaluation written to {@code path} (the sweep's own evaluation). */
    public DistilleryConfig withEvaluationPath(String path) {
        return from(raw.withValue("evaluate.path", ConfigValueFactory.fromAnyRef(path)).atKey("distillery"));
    }

    /** Artifact path of the baseline. */
    public String baselinePath() {
        return baseline.path();
    }

    /**
     * The same config with another data spec (e.g. the class count resolved from the data); {@link #raw()} stays
     * as configured, so fingerprints and provenance record what the user wrote.
     */
    public DistilleryConfig withData(DataSpec resolved) {
        return new DistilleryConfig(seed, runDir, resolved, teacher, softTargets, student, baseline, distill,
                codistill, multiTeacher, selfDistill, evaluate, sweep, schemes, raw);
    }

    /** The student architecture, derived from the teacher's when the config asks for that. */
    public ModelSpec studentModel() {
        return student.model().derivedFromTeacher() ? student.model().deriveFrom(teacher.model()) : student.model();
    }

    /**
     * The resolved config as JSON, for {@code distill config} and provenance, with the value of every key whose
     * path looks like a credential ({@code secret}, {@code password}, {@code token}, {@code access.key},
     * {@code credential}) replaced by {@code ***}. Done on the tree, not the text, so nested keys are caught too.
     */
    public String render() {
        Config redacted = raw;
        for (java.util.Map.Entry<String, com.typesafe.config.ConfigValue> e : raw.entrySet()) {
            if (SECRET_PATH.matcher(e.getKey()).find()) {
                redacted = redacted.withValue(e.getKey(), com.typesafe.config.ConfigValueFactory.fromAnyRef("***"));
            }
        }
        return redacted.root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(true));
    }

    private static final java.util.regex.Pattern SECRET_PATH = java.util.regex.Pattern.compile(
            "(?i)(secret|password|passwd|token|access[.-]?key|credential)");
}
