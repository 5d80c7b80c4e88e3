package io.distillery.train;

import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

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
 * Checkpoints of a training run in {@code <dir>/round-NNNNNNNNNN/}: the whole {@link TrainingState} (every
 * trainable model's parameters, updater state and iteration count, every frozen and kept snapshot, the round,
 * epoch and exchange counters, the latest metrics, the per-epoch history) in {@code state.bin}, a plain versioned
 * binary format, plus provenance whose {@code epoch} and {@code round} facts say where a resumed run continues. The
 * counters are also the RNG position: every shuffle is derived from (seed, epoch, partition). Each checkpoint is
 * committed atomically; the last {@link #KEEP} are kept.
 */
public final class Checkpoints {
    static final int KEEP = 2;
    private static final String STATE_PREFIX = "round-";
    private static final String STATE_FILE = "state.bin";
    /** "DST2": the state format with kept states; still read (its history is empty). */
    private static final int STATE_MAGIC_KEPT = 0x44535432;
    /** "DST3": DST2 plus the per-epoch history of every model. */
    private static final int STATE_MAGIC = 0x44535433;

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
        writeSnapshots(s.frozen(), out);
        writeSnapshots(s.kept(), out);
        out.writeInt(s.history().size());
        for (Map.Entry<String, List<EpochRecord>> h : s.history().entrySet()) {
            out.writeUTF(h.getKey());
            out.writeInt(h.getValue().size());
            for (EpochRecord e : h.getValue()) {
                out.writeInt(e.epoch());
                out.writeDouble(e.loss());
                out.writeDouble(e.heldOutAccuracy());
                out.writeDouble(e.seconds());
            }
        }
    }

    private static void writeSnapshots(Map<String, TrainingState.Snapshot> snapshots, DataOutputStream out)
            throws IOException {
        out.writeInt(snapshots.size());
        for (Map.Entry<String, TrainingState.Snapshot> f : snapshots.entrySet()) {
            out.writeUTF(f.getKey());
            out.writeUTF(f.getValue().source());
            out.writeLong(f.getValue().round());
            f.getValue().state().write(out);
        }
    }

    private static Map<String, TrainingState.Snapshot> readSnapshots(DataInputStream in) throws IOException {
        Map<String, TrainingState.Snapshot> snapshots = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String name = in.readUTF();
            snapshots.put(name, new TrainingState.Snapshot(in.readUTF(), in.readLong(), ModelState.read(in)));
        }
        return snapshots;
    }

    private static TrainingState readState(DataInputStream in) throws IOException {
        int magic = in.readInt();
        if (magic != STATE_MAGIC && magic != STATE_MAGIC_KEPT) {
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
        Map<String, TrainingState.Snapshot> frozen = readSnapshots(in);
        Map<String, TrainingState.Snapshot> kept = readSnapshots(in);
        TrainingState state = new TrainingState(trainable, frozen, round, epoch, roundInEpoch, exchanges);
        metrics.forEach(state::putMetric);
        kept.forEach(state::keep);
        if (magic == STATE_MAGIC) {
            for (int i = in.readInt(); i > 0; i--) {
                String model = in.readUTF();
                for (int n = in.readInt(); n > 0; n--) {
                    state.record(model, new EpochRecord(in.readInt(), in.readDouble(), in.readDouble(),
                            in.readDouble()));
                }
            }
        }
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

    /** Removes every checkpoint (after the final model is committed). */
    public void clear() {
        if (files.exists(dir)) {
            files.delete(dir);
        }
    }
}
