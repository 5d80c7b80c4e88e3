package io.distillery.jobs;

import io.distillery.config.DistilleryException;
import io.distillery.model.ModelArtifact;
import io.distillery.onnx.OnnxExporter;
import io.distillery.store.ArtifactFiles;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;

/**
 * {@code export-onnx}: a trained model artifact (a teacher, a student, or one exit of a self-distillation student)
 * as an ONNX model file for serving or for {@code soft-targets} ({@link OnnxExporter}). The file is written beside its
 * final name and renamed into place, so a failed export leaves nothing at the final path.
 */
public final class ExportOnnxJob {
    private ExportOnnxJob() {
    }

    /**
     * Exports the model at {@code modelDir} (with {@code exit}: that exit of a self-distillation student there) to
     * {@code output}.
     *
     * @param taps layers whose activations become outputs of the same name
     * @param int8 store every layer's weights as int8 ({@link OnnxExporter#export(MultiLayerNetwork, List, boolean)})
     * @return the model directory exported
     */
    public static String run(ArtifactFiles files, String modelDir, String exit, String output, List<String> taps,
                             boolean int8, boolean overwrite) {
        if (!TeacherArtifact.isOnnx(output)) {
            throw new DistilleryException("Output " + output + " (--output) must end in .onnx, the name by which "
                    + "distillery.teacher.path recognises an ONNX teacher.");
        }
        if (files.exists(output) && !overwrite) {
            throw new DistilleryException("Output " + output + " exists; pass --overwrite to replace it.");
        }
        String dir = exit == null ? modelDir : SelfDistillJob.exitPath(modelDir, exit);
        if (exit == null && files.exists(SelfDistillJob.exitPath(modelDir, ""))) {
            throw new DistilleryException("Model " + modelDir + " is a multi-exit student; pass --exit with one of "
                    + exits(files, modelDir) + ".");
        }
        if (exit != null && !files.exists(dir)) {
            throw new DistilleryException("Model " + modelDir + " has no exit '" + exit + "' (--exit); its exits are "
                    + exits(files, modelDir) + ".");
        }
        MultiLayerNetwork net = ModelArtifact.load(files, dir);
        write(files, OnnxExporter.export(net, taps, int8), output);
        return dir;
    }

    private static List<String> exits(ArtifactFiles files, String modelDir) {
        try {
            Path root = new Path(SelfDistillJob.exitPath(modelDir, ""));
            FileSystem fs = files.fs(root.toString());
            if (!fs.exists(root)) {
                return List.of();
            }
            return java.util.Arrays.stream(fs.listStatus(root)).filter(s -> s.isDirectory())
                    .map(s -> s.getPath().getName()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a temporary file in the output's directory, then renames it over the final name. */
    static void write(ArtifactFiles files, byte[] model, String output) {
        Path target = new Path(output);
        Path temp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        FileSystem checked = files.fs(output);
        // The local file system would leave a .crc file beside the model: write through its raw file system.
        FileSystem fs = checked instanceof LocalFileSystem local ? local.getRawFileSystem() : checked;
        try {
            try (FSDataOutputStream out = fs.create(temp, false)) {
                out.write(model);
            }
            if (fs.exists(target)) {
                fs.delete(target, false);
            }
            if (!fs.rename(temp, target)) {
                throw new IOException("rename of " + temp + " to " + target + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + output, e);
        } finally {
            try {
                fs.delete(temp, false);
            } catch (IOException ignored) {
                // best effort: the temporary is hidden and named as one
            }
        }
    }
}
