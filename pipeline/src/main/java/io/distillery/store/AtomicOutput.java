package io.distillery.store;

import io.distillery.config.DistilleryException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/**
 * Writes an artifact directory atomically: everything goes to a hidden temporary sibling of the final path, which
 * is renamed onto the final path only when complete (with {@code _SUCCESS} and {@code metadata.json}). A failed
 * stage therefore leaves nothing at the final path. Rename is atomic on HDFS and local file systems; on object
 * stores it is a copy, so a reader must also check {@code _SUCCESS}.
 */
public final class AtomicOutput implements AutoCloseable {
    private final ArtifactFiles files;
    private final String finalPath;
    private final String tempPath;
    private boolean committed;

    private AtomicOutput(ArtifactFiles files, String finalPath) {
        this.files = files;
        this.finalPath = stripSlash(finalPath);
        Path p = new Path(this.finalPath);
        this.tempPath = new Path(p.getParent(), "." + p.getName() + ".tmp-" + UUID.randomUUID()).toString();
    }

    /**
     * Starts writing {@code finalPath}. Refuses when it exists, unless {@code overwrite}, in which case the old
     * artifact is replaced only at commit.
     */
    public static AtomicOutput begin(ArtifactFiles files, String finalPath, boolean overwrite) {
        if (!overwrite && files.exists(finalPath)) {
            throw new DistilleryException("Output path " + finalPath
                    + " already exists; pass --overwrite to replace it or choose another path.");
        }
        return new AtomicOutput(files, finalPath);
    }

    /** The directory to write into. */
    public String path() {
        return tempPath;
    }

    public String finalPath() {
        return finalPath;
    }

    /** Marks the temporary directory complete and renames it onto the final path. */
    public void commit() {
        try {
            FileSystem fs = files.fs(finalPath);
            Path tmp = new Path(tempPath);
            Path dst = new Path(finalPath);
            if (!fs.exists(new Path(tmp, ArtifactFiles.SUCCESS))) {
                fs.create(new Path(tmp, ArtifactFiles.SUCCESS), true).close();
            }
            if (fs.exists(dst)) {
                fs.delete(dst, true);
            }
            fs.mkdirs(dst.getParent());
            if (!fs.rename(tmp, dst)) {
                throw new IOException("rename of " + tmp + " to " + dst + " returned false");
            }
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot commit " + finalPath, e);
        }
    }

    /** Removes the temporary directory unless committed; safe to call twice. */
    @Override
    public void close() {
        if (!committed && files.exists(tempPath)) {
            files.delete(tempPath);
        }
    }

    private static String stripSlash(String p) {
        return p.endsWith("/") && p.length() > 1 ? p.substring(0, p.length() - 1) : p;
    }
}
