package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A distillation scheme as {@code run} drives it, between the config and the jobs: checked from the config alone
 * before any Spark job starts, then its stages in order, then the models {@code evaluate} compares. A new scheme is
 * one implementation, its config record and its {@code reference.conf} block, listed in {@link #ALL}.
 */
interface Scheme {
    /** Every scheme, by the name {@code distillery.schemes} lists it under. */
    List<Scheme> ALL = List.of(new OfflineScheme(), new CodistillScheme(), new MultiTeacherScheme(),
            new SelfDistillScheme());

    /** The name in {@code distillery.schemes}. */
    String name();

    /** Whether it needs the trained teacher and its soft-target store, which {@code run} makes first. */
    boolean needsTeacher(DistilleryConfig cfg);

    /** Checks what can be checked from the config alone, so a mistake fails before the teacher trains. */
    void preflight(DistilleryConfig cfg);

    /** Its stages, in order, after the teacher's. */
    List<Stage> stages(JobContext ctx);

    /** Report name and artifact path of every model it trains, in report order. */
    Map<String, String> models(DistilleryConfig cfg);

    /** The configured schemes, in the order {@code distillery.schemes} lists them. */
    static List<Scheme> configured(DistilleryConfig cfg) {
        return cfg.schemes().stream().map(n -> ALL.stream().filter(s -> s.name().equals(n)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no scheme " + n))).toList();
    }

    /**
     * One stage: skipped by {@code run} when its output is committed with the fingerprint it would give it.
     *
     * @param name        as in the log and in error sentences
     * @param output      its artifact path
     * @param fingerprint what its output's provenance must say for it to be up to date
     * @param body        the stage itself
     */
    record Stage(String name, String output, Supplier<String> fingerprint, Runnable body) {
    }
}
