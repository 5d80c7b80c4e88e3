package io.distillery.model;

import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * A model artifact directory: {@code model.zip} (DL4J {@link ModelSerializer}, with updater state so training can
 * resume) and {@code metadata.json}. Works on any Hadoop file system: the zip is staged through a local temp file.
 */
public final class ModelArtifact {
    /** File name of the serialized network inside an artifact directory. */
    public static final String MODEL_FILE = "model.zip";

    private ModelArtifact() {
    }

    /**
     * Writes {@code net} (a {@code MultiLayerNetwork}, or a {@code ComputationGraph} for training checkpoints) and
     * its provenance into {@code dir} (a directory being written, e.g. an AtomicOutput).
     */
    public static void write(ArtifactFiles files, Model net, String dir, Provenance provenance) {
        File local = null;
        try {
            local = File.createTempFile("distillery-model", ".zip");
            ModelSerializer.writeModel(net, local, true);
            FileSystem fs = files.fs(dir);
            fs.copyFromLocalFile(new Path(local.getAbsolutePath()), new Path(dir, MODEL_FILE));
            files.writeProvenance(dir, provenance);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the model to " + dir, e);
        } finally {
            if (local != null) {
                local.delete();
            }
        }
    }

    /** Saves atomically to {@code finalDir}; refuses an existing directory unless {@code overwrite}. */
    public static void save(ArtifactFiles files, MultiLayerNetwork net, String finalDir, Provenance provenance,
                            boolean overwrite) {
        try (AtomicOutput out = AtomicOutput.begin(files, finalDir, overwrite)) {
            write(files, net, out.path(), provenance);
            out.commit();
        }
    }

    /** Loads the network (with updater state) from an artifact directory. */
    public static MultiLayerNetwork load(ArtifactFiles files, String dir) {
        return load(files, dir, false);
    }

    /** Loads a {@link ComputationGraph} (with updater state), e.g. a training graph's checkpoint. */
    public static ComputationGraph loadGraph(ArtifactFiles files, String dir) {
        return load(files, dir, true);
    }

    @SuppressWarnings("unchecked")
    private static <N extends Model> N load(ArtifactFiles files, String dir, boolean graph) {
        String zip = dir + "/" + MODEL_FILE;
        if (!files.exists(zip)) {
            throw new DistilleryException("Model " + dir + " has no " + MODEL_FILE + "; train or import it first.");
        }
        File local = null;
        try {
            local = Files.createTempFile("distillery-model", ".zip").toFile();
            files.fs(zip).copyToLocalFile(false, new Path(zip), new Path(local.getAbsolutePath()), true);
            return graph ? (N) ModelSerializer.restoreComputationGraph(local, true)
                    : (N) ModelSerializer.restoreMultiLayerNetwork(local, true);
        } catch (Exception e) {
            throw new DistilleryException("Model file " + zip + " cannot be read (truncated, corrupt or not a DL4J "
                    + "model zip): " + e.getMessage(), e);
        } finally {
            if (local != null) {
                local.delete();
            }
        }
    }

    /** SHA-256 of the model zip: the identity of a teacher recorded in every store made from it. */
    public static String hash(ArtifactFiles files, String dir) {
        return files.contentHash(dir + "/" + MODEL_FILE);
    }

    /** Size of the model zip in bytes. */
    public static long sizeBytes(ArtifactFiles files, String dir) {
        try {
            return files.fs(dir).getFileStatus(new Path(dir, MODEL_FILE)).getLen();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
