package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.data.FeatureScaling;
import io.distillery.model.ModelArtifact;
import io.distillery.store.ArtifactFiles;

import java.util.Locale;

/**
 * The configured teacher on disk, whichever kind it is: a DL4J artifact directory ({@code model.zip} and
 * {@code metadata.json}), or an ONNX model file ({@code teacher.path} ending in {@code .onnx}), which carries no
 * provenance: it reads unscaled features and has integer classes. Its identity, recorded in every store made from it
 * and checked by every stage reading one, is the SHA-256 of the zip or of the {@code .onnx} file.
 */
final class TeacherArtifact {
    /** Store fact naming the engine that ran the teacher, recorded only when it was ONNX Runtime. */
    static final String RUNTIME_FACT = "teacher-runtime";

    private TeacherArtifact() {
    }

    /** True when {@code path} names an ONNX model file rather than a DL4J artifact directory. */
    static boolean isOnnx(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    /** True when the configured teacher runs on ONNX Runtime: an ONNX teacher, or {@code soft-targets.runtime}. */
    static boolean runsOnOnnx(DistilleryConfig cfg) {
        return isOnnx(cfg.teacher().path()) || cfg.softTargets().runtime().equals("onnx");
    }

    static boolean exists(ArtifactFiles files, String path) {
        return files.exists(isOnnx(path) ? path : path + "/" + ModelArtifact.MODEL_FILE);
    }

    /** SHA-256 of the model zip or the {@code .onnx} file. */
    static String hash(ArtifactFiles files, String path) {
        return isOnnx(path) ? files.contentHash(path) : ModelArtifact.hash(files, path);
    }

    /** The scaling the teacher's inputs were prepared with: recorded by a DL4J teacher, none for an ONNX model. */
    static FeatureScaling scaling(ArtifactFiles files, String path) {
        return isOnnx(path) ? FeatureScaling.NONE : FeatureScaling.fromFacts(files.readProvenance(path), path);
    }
}
