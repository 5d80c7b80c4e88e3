package io.distillery.store;

import io.distillery.config.DistilleryException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The claim of one run on one output path: the file {@code .<name>.lock} beside the path, made with an atomic
 * exclusive create ({@link LockFiles}), so of several runs that want the path exactly one holds it. The holder is
 * the only run that may write the path's temporaries ({@link #temporary()}) or rename anything onto the path.
 *
 * <p><b>Why a lock file and not "rename, then check".</b> On HDFS (and in Hadoop's local file system, for a
 * non-empty target) renaming a directory onto an existing directory moves it <i>into</i> that directory, so a
 * losing run's rename would nest its output inside the winner's instead of failing. An exclusive create has the
 * same meaning on every file system where it is atomic: HDFS and local disks. Object stores (S3A, GCS, ABFS) do
 * not make it atomic, so two runs started together there are not told apart; rename is not atomic there either.
 *
 * <p><b>Heartbeat and abandoned locks.</b> A killed driver cannot delete its lock. The holder therefore refreshes
 * the lock's modification time every {@link Timing#heartbeatMillis} (10 s), and a lock not refreshed for
 * {@link Timing#staleAfterMillis} (120 s) is abandoned: the next run moves it aside under a unique name (one mover
 * wins), checks that what it moved is the lock it judged abandoned (same content and time, not a fresh lock made
 * meanwhile, which it would put back), deletes it and logs that. An age threshold alone could not tell a long
 * live write from a dead one; the heartbeat makes "no heartbeat for 120 s" the test instead. The lock holds the
 * holder's host, pid, start time and machine (boot id and PID namespace), named in the message a refused run
 * prints. When the holder ran on the same machine and namespace and its process is gone, the lock is abandoned at
 * once ({@link #holderIsGone}), so a driver killed and rerun on one machine does not wait 120 s. Clocks of the
 * hosts that share a path must agree to well within 120 s.
 *
 * <p><b>Stale temporaries.</b> Since only the holder writes temporaries, every other {@code .<name>.tmp-*},
 * {@code .<name>.old-*} or {@code .<name>.lock.stale-*} sibling found by a new holder was left by a run that did
 * not finish, and is removed with a log line. A live run's temporaries are safe: its lock is fresh, so no other
 * run holds the path.
 *
 * <p><b>Fencing.</b> A holder whose heartbeat stopped for longer than 120 s (a driver paused or cut off) may
 * have lost the lock to another run. Before it renames anything it calls {@link #confirm()}, which refreshes the
 * lock and checks that the lock still names it; if not, the run stops with a {@link DistilleryException} and the
 * other run's output is kept.
 */
public final class OutputLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
    private static final int ATTEMPTS = 3;
    private static final String MACHINE = machine();
    /** One daemon thread refreshes every lock of this JVM; a beat is one small metadata call. */
    private static final ScheduledExecutorService HEARTBEATS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "distillery-output-lock-heartbeat");
        t.setDaemon(true);
        return t;
    });

    /**
     * How often the holder refreshes its lock, and after how long without a refresh a lock is abandoned.
     *
     * @param heartbeatMillis  period of the refresh
     * @param staleAfterMillis age of the last refresh after which another run may take the lock
     */
    public record Timing(long heartbeatMillis, long staleAfterMillis) {
        /** 10 s heartbeats, abandoned after 120 s: 12 missed beats, far beyond a GC pause. */
        public static final Timing DEFAULT = new Timing(10_000, 120_000);
    }

    private final FileSystem fs;
    private final LockFiles io;
    private final Path target;
    private final Path lock;
    private final String id;
    private final byte[] content;
    private final Timing timing;
    private final ScheduledFuture<?> heartbeat;
    private volatile boolean closed;

    private OutputLock(FileSystem fs, LockFiles io, Path target, String id, byte[] content, Timing timing) {
        this.fs = fs;
        this.io = io;
        this.target = target;
        this.lock = lockOf(target);
        this.id = id;
        this.content = content;
        this.timing = timing;
        this.heartbeat = HEARTBEATS.scheduleAtFixedRate(this::beat, timing.heartbeatMillis(),
                timing.heartbeatMillis(), TimeUnit.MILLISECONDS);
    }

    /** Claims {@code finalPath} with the default timing; see {@link #acquire(ArtifactFiles, String, Timing)}. */
    public static OutputLock acquire(ArtifactFiles files, String finalPath) {
        return acquire(files, finalPath, Timing.DEFAULT);
    }

    /**
     * Claims {@code finalPath} for this run (creating its parent directory when needed) and removes the stale
     * temporaries of earlier runs.
     *
     * @throws DistilleryException when another live run holds it, naming the path and that run
     */
    public static OutputLock acquire(ArtifactFiles files, String finalPath, Timing timing) {
        Path target = new Path(finalPath);
        FileSystem fs = files.fs(finalPath);
        LockFiles io = LockFiles.of(fs);
        String id = UUID.randomUUID().toString();
        byte[] content = describe(id).getBytes(StandardCharsets.UTF_8);
        Path lock = lockOf(target);
        try {
            fs.mkdirs(target.getParent());
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                if (io.createExclusive(lock, content)) {
                    OutputLock held = new OutputLock(fs, io, target, id, content, timing);
                    try {
                        held.removeStaleTemporaries();
                    } catch (IOException | RuntimeException e) {
                        held.close();
                        throw e;
                    }
                    return held;
                }
                byte[] other = io.read(lock);
                long modified = io.modified(lock);
                if (other == null || modified < 0) {
                    continue;  // released meanwhile: try again
                }
                long age = System.currentTimeMillis() - modified;
                String pid = fields(other).get("pid");
                if (holderIsGone(other)) {
                    breakAbandoned(io, lock, other, modified, age, finalPath, timing,
                            "its process " + pid + " on this machine is gone");
                } else if (age >= timing.staleAfterMillis()) {
                    breakAbandoned(io, lock, other, modified, age, finalPath, timing,
                            "not refreshed for " + age / 1000 + " s");
                } else {
                    throw held(finalPath, lock, other, age, timing);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot lock output path " + finalPath, e);
        }
        throw new DistilleryException("Output path " + finalPath + " is being claimed by other runs at the same time"
                + " (" + ATTEMPTS + " attempts to create its lock " + lock + " failed); run one of them at a time.");
    }

    /**
     * Removes an abandoned lock: moves it aside (of several runs doing this, one succeeds), and if what was moved
     * is not the abandoned lock but a fresh one created meanwhile, puts it back and reports the path held.
     */
    private static void breakAbandoned(LockFiles io, Path lock, byte[] seen, long seenModified, long age,
                                       String finalPath, Timing timing, String why) throws IOException {
        Path aside = new Path(lock.getParent(), lock.getName() + ".stale-" + UUID.randomUUID());
        if (!io.rename(lock, aside)) {
            return;  // another run moved or released it first
        }
        byte[] moved = io.read(aside);
        long movedModified = io.modified(aside);
        if (!Arrays.equals(moved, seen) || movedModified != seenModified) {
            boolean restored = moved != null && io.createExclusive(lock, moved);
            io.delete(aside);
            throw held(finalPath, lock, moved == null ? new byte[0] : moved,
                    restored ? 0 : System.currentTimeMillis() - movedModified, timing);
        }
        io.delete(aside);
        LOG.warn("Removed the lock {} of a run that stopped without releasing it ({}; {})", lock, owner(seen), why);
    }

    /** The temporary directory this run writes: a hidden sibling of the output, {@code .<name>.tmp-<id>}. */
    public String temporary() {
        return sibling(".tmp-" + id).toString();
    }

    /** Where a replaced output is moved while the new one is renamed in: {@code .<name>.old-<id>}. */
    String aside() {
        return sibling(".old-" + id).toString();
    }

    /**
     * Checks, just before the holder renames anything, that it still holds the lock: refreshes it and reads it back.
     *
     * @throws DistilleryException when another run took it over, naming the path
     */
    public void confirm() {
        try {
            io.touch(lock, System.currentTimeMillis());
            byte[] now = io.read(lock);
            if (Arrays.equals(now, content)) {
                return;
            }
            throw new DistilleryException("Output path " + target + " was taken over by another run while this run "
                    + "was writing it (this run's lock " + lock + " went " + timing.staleAfterMillis() / 1000
                    + " s without a heartbeat and now " + (now == null ? "is gone" : "belongs to " + owner(now))
                    + "), so this run's result was discarded and the other run's output is kept.");
        } catch (FileNotFoundException e) {
            throw new DistilleryException("Output path " + target + " was taken over by another run while this run "
                    + "was writing it (this run's lock " + lock + " is gone), so this run's result was discarded.", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot check the lock " + lock, e);
        }
    }

    /** Stops the heartbeat and deletes the lock if it is still this run's; safe to call twice. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.cancel(false);
        try {
            if (Arrays.equals(io.read(lock), content)) {
                io.delete(lock);
            }
        } catch (IOException e) {
            LOG.warn("Cannot release the lock {}; it is taken as abandoned {} s after its last heartbeat", lock,
                    timing.staleAfterMillis() / 1000, e);
        }
    }

    private void beat() {
        if (closed) {
            return;
        }
        try {
            io.touch(lock, System.currentTimeMillis());
        } catch (IOException e) {
            if (!closed) {  // not the beat that raced with close() deleting the lock
                // The commit's confirm() decides; a lost lock is reported there, with the path.
                LOG.warn("Cannot refresh the lock {} of output {}: {}", lock, target, e.toString());
            }
        }
    }

    private void removeStaleTemporaries() throws IOException {
        String name = target.getName();
        String ours = sibling(".tmp-" + id).getName();
        String[] prefixes = {"." + name + ".tmp-", "." + name + ".old-", "." + name + ".lock.stale-"};
        FileStatus[] siblings;
        try {
            siblings = fs.listStatus(target.getParent());
        } catch (FileNotFoundException e) {
            return;
        }
        for (FileStatus s : siblings) {
            String n = s.getPath().getName();
            if (n.equals(ours) || Arrays.stream(prefixes).noneMatch(n::startsWith)) {
                continue;
            }
            fs.delete(s.getPath(), true);
            LOG.info("Removed stale temporary {} of output {}, left by a run that did not finish (last modified {})",
                    s.getPath(), target, Instant.ofEpochMilli(s.getModificationTime()));
        }
    }

    private Path sibling(String suffix) {
        return new Path(target.getParent(), "." + target.getName() + suffix);
    }

    static Path lockOf(Path target) {
        return new Path(target.getParent(), "." + target.getName() + ".lock");
    }

    private static DistilleryException held(String finalPath, Path lock, byte[] holder, long ageMillis,
                                            Timing timing) {
        return new DistilleryException("Output path " + finalPath + " is being written by another run ("
                + owner(holder) + "; its lock " + lock + " was refreshed " + Math.max(0, ageMillis / 1000)
                + " s ago); wait for that run to finish or choose another path (a lock not refreshed for "
                + timing.staleAfterMillis() / 1000 + " s is taken as abandoned).");
    }

    private static String describe(String id) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return "owner=" + id + "\nhost=" + host + "\npid=" + ProcessHandle.current().pid() + "\nsince="
                + Instant.now() + "\nmachine=" + MACHINE + "\n";
    }

    /**
     * True when the lock's holder ran on this machine, in this PID namespace, and that process is gone (or its pid
     * now belongs to a process started after the lock was made). Then the lock is abandoned at once: a driver
     * killed and rerun on one machine does not wait for the heartbeat to age.
     */
    static boolean holderIsGone(byte[] lockContent) {
        Map<String, String> f = fields(lockContent);
        if (MACHINE.isEmpty() || !MACHINE.equals(f.get("machine"))) {
            return false;
        }
        try {
            long pid = Long.parseLong(f.get("pid"));
            Instant since = Instant.parse(f.get("since"));
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .map(h -> h.info().startInstant().map(start -> start.isAfter(since)).orElse(false))
                    .orElse(true);
        } catch (RuntimeException e) {
            return false;  // a lock from another version or edited by hand: only its age counts
        }
    }

    /** This machine's key as locks record it (empty where {@code /proc} is missing). */
    static String thisMachine() {
        return MACHINE;
    }

    /**
     * This machine's boot and PID namespace ({@code /proc}), so that a pid in a lock is only looked up where it
     * means the same process: containers on one host share the boot id but not the namespace. Empty elsewhere.
     */
    private static String machine() {
        try {
            String boot = Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id")).trim();
            String ns = Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/ns/pid")).toString();
            return boot + "/" + ns;
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** "host h, pid p, since t" from a lock's content (empty while its creator is still writing it). */
    private static String owner(byte[] lockContent) {
        Map<String, String> fields = fields(lockContent);
        if (!fields.containsKey("pid")) {
            return "a run that is just starting";
        }
        return "host " + fields.get("host") + ", pid " + fields.get("pid") + ", since " + fields.get("since");
    }

    private static Map<String, String> fields(byte[] lockContent) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(lockContent, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return fields;
    }
}
