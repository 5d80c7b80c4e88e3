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

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
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
    private static final String STATE_PREFIX = "round-";
    private static final String STATE_FILE = "state.bin";
    /** "DST1": the first version of the state format. */
    private static final int STATE_MAGIC = 0x44535431;

    private final ArtifactFiles files;
    private final String dir;

    public Checkpoints(ArtifactFiles files, String dir) {
        this.files = files;
        this.dir = dir;
    }

    public String dir() {
        return dir;
    }

    /**
     * Saves a whole {@link TrainingState} (every trainable model, every frozen snapshot, the counters) in
     * {@code <dir>/round-NNNNNNNNNN/state.bin} with its provenance, and prunes older state checkpoints.
     */
    public void save(TrainingState state, Provenance provenance) {
        String target = dir + "/" + String.format("%s%010d", STATE_PREFIX, state.round());
        try (AtomicOutput out = AtomicOutput.begin(files, target, true)) {
            try (DataOutputStream data = new DataOutputStream(new BufferedOutputStream(
                    files.fs(target).create(new Path(out.path(), STATE_FILE), true)))) {
                writeState(state, data);
            }
            files.writeProvenance(out.path(), provenance.withFact("epoch", Integer.toString(state.epoch()))
                    .withFact("round", Long.toString(state.round())));
            out.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write checkpoint " + target, e);
        }
        List<Long> rounds = committedRounds();
        for (int i = 0; i < rounds.size() - KEEP; i++) {
            files.delete(dir + "/" + String.format("%s%010d", STATE_PREFIX, rounds.get(i)));
        }
    }

    /** The state of the latest committed checkpoint, if any. */
    public Optional<TrainingState> latest() {
        List<Long> rounds = committedRounds();
        if (rounds.isEmpty()) {
            return Optional.empty();
        }
        String path = dir + "/" + String.format("%s%010d", STATE_PREFIX, rounds.get(rounds.size() - 1)) + "/"
                + STATE_FILE;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new ByteArrayInputStream(files.readBytes(path))))) {
            return Optional.of(readState(in));
        } catch (IOException e) {
            throw new io.distillery.config.DistilleryException("Checkpoint " + path + " cannot be read ("
                    + e.getMessage() + "); remove " + dir + " to start over.", e);
        }
    }

    private static void writeState(TrainingState s, DataOutputStream out) throws IOException {
        out.writeInt(STATE_MAGIC);
        out.writeLong(s.round());
        out.writeInt(s.epoch());
        out.writeInt(s.roundInEpoch());
        out.writeInt(s.exchanges());
        out.writeInt(s.metrics().size());
        for (Map.Entry<String, Double> m : s.metrics().entrySet()) {
            out.writeUTF(m.getKey());
            out.writeDouble(m.getValue());
        }
        out.writeInt(s.trainable().size());
        for (Map.Entry<String, ModelState> m : s.trainable().entrySet()) {
            out.writeUTF(m.getKey());
            m.getValue().write(out);
        }
        out.writeInt(s.frozen().size());
        for (Map.Entry<String, TrainingState.Snapshot> f : s.frozen().entrySet()) {
            out.writeUTF(f.getKey());
            out.writeUTF(f.getValue().source());
            out.writeLong(f.getValue().round());
            f.getValue().state().write(out);
        }
    }

    private static TrainingState readState(DataInputStream in) throws IOException {
        if (in.readInt() != STATE_MAGIC) {
            throw new IOException("not a Distillery training state");
        }
        long round = in.readLong();
        int epoch = in.readInt();
        int roundInEpoch = in.readInt();
        int exchanges = in.readInt();
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            metrics.put(in.readUTF(), in.readDouble());
        }
        Map<String, ModelState> trainable = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            trainable.put(in.readUTF(), ModelState.read(in));
        }
        Map<String, TrainingState.Snapshot> frozen = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String name = in.readUTF();
            frozen.put(name, new TrainingState.Snapshot(in.readUTF(), in.readLong(), ModelState.read(in)));
        }
        TrainingState state = new TrainingState(trainable, frozen, round, epoch, roundInEpoch, exchanges);
        metrics.forEach(state::putMetric);
        return state;
    }

    private List<Long> committedRounds() {
        List<Long> rounds = new ArrayList<>();
        if (!files.exists(dir)) {
            return rounds;
        }
        try {
            for (FileStatus s : files.fs(dir).listStatus(new Path(dir))) {
                String name = s.getPath().getName();
                if (s.isDirectory() && name.startsWith(STATE_PREFIX) && files.isCommitted(s.getPath().toString())) {
                    rounds.add(Long.parseLong(name.substring(STATE_PREFIX.length())));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        rounds.sort(Long::compare);
        return rounds;
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
