package io.distillery.testing;

import java.nio.file.Path;

/** The committed ONNX test models ({@code jobs/src/test/resources/onnx}, written by its {@code make_models.py}). */
public final class OnnxFixtures {
    private OnnxFixtures() {
    }

    /** The committed model or expectation file {@code name}. */
    public static Path file(String name) {
        return Cli.repo().resolve("jobs/src/test/resources/onnx").resolve(name);
    }
}
