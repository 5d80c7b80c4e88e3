package io.distillery.store;

import io.distillery.config.DistilleryException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writes an artifact directory atomically: everything goes to a hidden temporary sibling of the final path, which
 * is renamed onto the final path only when complete (with {@code _SUCCESS} and {@code metadata.json}). A failed
 * stage therefore leaves nothing at the final path. Rename is atomic on HDFS and local file systems; on object
 * stores it is a copy, so a reader must also check {@code _SUCCESS}.
 *
 * <p><b>Concurrent runs.</b> From {@link #begin} to {@link #close} the run holds the path's {@link OutputLock} (an
 * exclusive create of {@code .<name>.lock}, refreshed by a heartbeat). Of several runs writing one path, one holds
 * it; a run that finds it held fails at once with a {@link DistilleryException} (exit 2) naming the path. The
 * existence check is repeated under the lock, so a run that started before another committed the path, and then
 * reached its own write, is refused too instead of replacing it. Nothing is ever renamed onto an existing
 * directory (on HDFS that would move the source into it): the holder checks the final path is absent, or moves it
 * aside, first. Stale temporaries of the path left by killed runs are removed by the next holder (see
 * {@link OutputLock}).
 *
 * <p><b>{@code --overwrite}.</b> The old artifact stays in place, readable, while the new one is written. At
 * commit the old directory is renamed to {@code .<name>.old-<id>}, the new one renamed onto the final path, and
 * the old one deleted. Between those two renames (two metadata operations, milliseconds) the final path does not
 * exist: a reader that looks then finds no artifact, never a half-written one. A reader that listed the old
 * directory's files before the swap and opens them after the delete fails to open them. A driver killed between
 * the renames leaves the final path missing and both directories as stale temporaries, removed by the next run.
 */
public final class AtomicOutput implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicOutput.class);

    private final ArtifactFiles files;
    private final String finalPath;
    private final boolean overwrite;
    private final OutputLock lock;
    private final String tempPath;
    private boolean committed;
    private boolean closed;

    private AtomicOutput(ArtifactFiles files, String finalPath, boolean overwrite, OutputLock lock) {
        this.files = files;
        this.finalPath = finalPath;
        this.overwrite = overwrite;
        this.lock = lock;
        this.tempPath = lock.temporary();
    }

    /**
     * Starts writing {@code finalPath}. Refuses when it exists, unless {@code overwrite}, in which case the old
     * artifact is replaced only at commit; refuses when another run is writing it.
     */
    public static AtomicOutput begin(ArtifactFiles files, String finalPath, boolean overwrite) {
        return begin(files, finalPath, overwrite, OutputLock.Timing.DEFAULT);
    }

    static AtomicOutput begin(ArtifactFiles files, String finalPath, boolean overwrite, OutputLock.Timing timing) {
        String path = stripSlash(finalPath);
        checkAbsent(files, path, overwrite);  // before the lock: a refused path gets no lock file, no parent dir
        OutputLock lock = OutputLock.acquire(files, path, timing);
        try {
            checkAbsent(files, path, overwrite);  // again under the lock: another run may have committed meanwhile
            return new AtomicOutput(files, path, overwrite, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static void checkAbsent(ArtifactFiles files, String path, boolean overwrite) {
        if (!overwrite && files.exists(path)) {
            throw new DistilleryException("Output path " + path
                    + " already exists; pass --overwrite to replace it or choose another path.");
        }
    }

    /** The directory to write into. */
    public String path() {
        return tempPath;
    }

    public String finalPath() {
        return finalPath;
    }

    /**
     * Marks the temporary directory complete and renames it onto the final path (moving an old artifact aside
     * first when overwriting).
     *
     * @throws DistilleryException when another run took the path over meanwhile; nothing is renamed then
     */
    public void commit() {
        try {
            FileSystem fs = files.fs(finalPath);
            Path tmp = new Path(tempPath);
            Path dst = new Path(finalPath);
            if (!fs.exists(new Path(tmp, ArtifactFiles.SUCCESS))) {
                fs.create(new Path(tmp, ArtifactFiles.SUCCESS), true).close();
            }
            lock.confirm();
            Path old = null;
            if (fs.exists(dst)) {
                if (!overwrite) {
                    // Only after the lock was taken over: its holder committed first and keeps the path.
                    throw new DistilleryException("Output path " + finalPath + " was committed by another run "
                            + "while this run was writing it; this run's result was discarded (pass --overwrite "
                            + "to replace it).");
                }
                old = new Path(lock.aside());
                rename(fs, dst, old);
            }
            try {
                rename(fs, tmp, dst);
            } catch (IOException e) {
                if (old != null) {
                    fs.rename(old, dst);  // put the old artifact back rather than leave the path empty
                }
                throw e;
            }
            committed = true;
            if (old != null && !fs.delete(old, true)) {
                LOG.warn("Replaced {}; could not delete the old artifact moved to {}, the next run removes it",
                        finalPath, old);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot commit " + finalPath, e);
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("rename of " + from + " to " + to + " returned false");
        }
    }

    /** Removes the temporary directory unless committed, and releases the path; safe to call twice. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!committed && files.exists(tempPath)) {
                files.delete(tempPath);
            }
        } finally {
            lock.close();
        }
    }

    private static String stripSlash(String p) {
        return p.endsWith("/") && p.length() > 1 ? p.substring(0, p.length() - 1) : p;
    }
}
