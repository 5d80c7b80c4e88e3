package io.distillery.train;

import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Per-epoch checkpoints of a training run in {@code <dir>/epoch-NNNN/}: the network (a plain network, or a student's
 * training graph with its heads and regressors) with its updater state and
 * iteration count (DL4J keeps both in the zip), plus provenance whose {@code epoch} fact says where to resume. The
 * epoch is also the RNG position: every shuffle is derived from (seed, epoch, partition). Each checkpoint is
 * committed atomically; the last {@link #KEEP} are kept.
 */
public final class Checkpoints {
    static final int KEEP = 2;
    private static final String PREFIX = "epoch-";

    private final ArtifactFiles files;
    private final String dir;

    public Checkpoints(ArtifactFiles files, String dir) {
        this.files = files;
        this.dir = dir;
    }

    public String dir() {
        return dir;
    }

    /** Saves the state after {@code epoch} (0-based) and prunes older checkpoints. */
    public void save(Model net, int epoch, Provenance provenance) {
        String target = dir + "/" + String.format("%s%04d", PREFIX, epoch);
        try (AtomicOutput out = AtomicOutput.begin(files, target, true)) {
            ModelArtifact.write(files, net, out.path(), provenance.withFact("epoch", Integer.toString(epoch)));
            out.commit();
        }
        List<Integer> epochs = committedEpochs();
        for (int i = 0; i < epochs.size() - KEEP; i++) {
            files.delete(dir + "/" + String.format("%s%04d", PREFIX, epochs.get(i)));
        }
    }

    /** The last committed epoch, if any. */
    public Optional<Integer> latestEpoch() {
        List<Integer> epochs = committedEpochs();
        return epochs.isEmpty() ? Optional.empty() : Optional.of(epochs.get(epochs.size() - 1));
    }

    public MultiLayerNetwork load(int epoch) {
        return ModelArtifact.load(files, dir + "/" + String.format("%s%04d", PREFIX, epoch));
    }

    /** Loads a training graph's checkpoint (with its updater state). */
    public ComputationGraph loadGraph(int epoch) {
        return ModelArtifact.loadGraph(files, dir + "/" + String.format("%s%04d", PREFIX, epoch));
    }

    /** Removes every checkpoint (after the final model is committed). */
    public void clear() {
        if (files.exists(dir)) {
            files.delete(dir);
        }
    }

    private List<Integer> committedEpochs() {
        List<Integer> epochs = new ArrayList<>();
        if (!files.exists(dir)) {
            return epochs;
        }
        try {
            for (FileStatus s : files.fs(dir).listStatus(new Path(dir))) {
                String name = s.getPath().getName();
                if (s.isDirectory() && name.startsWith(PREFIX) && files.isCommitted(s.getPath().toString())) {
                    epochs.add(Integer.parseInt(name.substring(PREFIX.length())));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        epochs.sort(Integer::compare);
        return epochs;
    }
}
