package io.distillery.store;

import io.distillery.config.DistilleryException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Hive-style partition directories of a dataset or store ({@code date=2026-11-27/}, nested one level per
 * partition column), named by their path relative to the root. Incremental soft targets compare these names between
 * the input and the store, move new leaf directories into the store (one rename each, so a reader sees a partition
 * whole or not at all), and record each partition's files identity ({@link ArtifactFiles#dataIdentity}) to notice
 * one that changed.
 */
public final class PartitionDirs {
    private PartitionDirs() {
    }

    /**
     * Relative paths of the leaf partition directories under {@code root}, sorted, for partition columns
     * {@code columns} in nesting order. Hidden and bookkeeping entries ({@code .x}, {@code _x}) are skipped.
     *
     * @throws DistilleryException when a directory at some level is not named {@code <column>=<value>}
     */
    public static List<String> list(ArtifactFiles files, String root, List<String> columns) {
        List<String> out = new ArrayList<>();
        try {
            collect(files.fs(root), new Path(root), "", columns, 0, out);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list " + root, e);
        }
        out.sort(String::compareTo);
        return out;
    }

    /** {@code relative -> files identity} of every leaf partition under {@code root}, in name order. */
    public static Map<String, String> hashes(ArtifactFiles files, String root, List<String> columns) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String relative : list(files, root, columns)) {
            out.put(relative, files.dataIdentity(root + "/" + relative));
        }
        return out;
    }

    /** Renames {@code fromRoot/relative} to {@code toRoot/relative}, creating the parent directories. */
    public static void move(ArtifactFiles files, String fromRoot, String toRoot, String relative) {
        Path from = new Path(fromRoot + "/" + relative);
        Path to = new Path(toRoot + "/" + relative);
        try {
            FileSystem fs = files.fs(toRoot);
            if (fs.exists(to)) {
                throw new IllegalStateException("Partition " + to + " already exists; it is never overwritten.");
            }
            fs.mkdirs(to.getParent());
            if (!fs.rename(from, to)) {
                throw new IOException("rename of " + from + " to " + to + " returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot move partition " + relative + " into " + toRoot, e);
        }
    }

    /** The hashes as one provenance fact value: {@code relative=hash} entries separated by {@code ;}. */
    public static String encode(Map<String, String> hashes) {
        StringBuilder b = new StringBuilder();
        hashes.forEach((k, v) -> b.append(b.length() == 0 ? "" : ";").append(k).append('=').append(v));
        return b.toString();
    }

    /** Inverse of {@link #encode}; an absent or empty fact gives an empty map. */
    public static Map<String, String> decode(String fact) {
        Map<String, String> out = new TreeMap<>();
        if (fact == null || fact.isEmpty()) {
            return out;
        }
        for (String entry : fact.split(";")) {
            int eq = entry.lastIndexOf('=');
            out.put(entry.substring(0, eq), entry.substring(eq + 1));
        }
        return out;
    }

    private static void collect(FileSystem fs, Path dir, String prefix, List<String> columns, int level,
                                List<String> out) throws IOException {
        if (level == columns.size()) {
            out.add(prefix);
            return;
        }
        String column = columns.get(level);
        for (FileStatus s : fs.listStatus(dir)) {
            String name = s.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_") || !s.isDirectory()) {
                continue;
            }
            if (!name.startsWith(column + "=")) {
                throw new DistilleryException("Directory " + s.getPath() + " is not named " + column
                        + "=<value>, but data.partition-columns says level " + (level + 1) + " is '" + column + "'.");
            }
            collect(fs, s.getPath(), prefix.isEmpty() ? name : prefix + "/" + name, columns, level + 1, out);
        }
    }
}
