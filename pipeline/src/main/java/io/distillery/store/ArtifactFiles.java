package io.distillery.store;

import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * File operations on artifact directories through Hadoop's {@link FileSystem}, so that every path may be local,
 * HDFS or an object store: text files, {@code metadata.json}, existence checks and content hashes.
 */
public final class ArtifactFiles {
    /** Name of the provenance file in every artifact directory. */
    public static final String METADATA = "metadata.json";
    /** Marker written last by a committed artifact. */
    public static final String SUCCESS = "_SUCCESS";

    private final Configuration hadoop;

    public ArtifactFiles(Configuration hadoop) {
        this.hadoop = hadoop;
    }

    /** For local use without a Spark session (tests, the CLI's pre-flight checks). */
    public static ArtifactFiles local() {
        return new ArtifactFiles(new Configuration());
    }

    public Configuration hadoop() {
        return hadoop;
    }

    public FileSystem fs(String path) {
        try {
            return new Path(path).getFileSystem(hadoop);
        } catch (IOException e) {
            throw new UncheckedIOException("No file system for " + path, e);
        }
    }

    public boolean exists(String path) {
        try {
            return fs(path).exists(new Path(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when {@code dir} holds a committed artifact: {@code _SUCCESS} and {@code metadata.json}. */
    public boolean isCommitted(String dir) {
        return exists(dir + "/" + SUCCESS) && exists(dir + "/" + METADATA);
    }

    public void writeText(String path, String text) {
        try (FSDataOutputStream out = fs(path).create(new Path(path), true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + path, e);
        }
    }

    public String readText(String path) {
        return new String(readBytes(path), StandardCharsets.UTF_8);
    }

    /** The whole content of a (small) file, e.g. a model zip to broadcast. */
    public byte[] readBytes(String path) {
        try (FSDataInputStream in = fs(path).open(new Path(path))) {
            return in.readAllBytes();
        } catch (ChecksumException e) {
            throw checksumMismatch(path);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + path, e);
        }
    }

    /**
     * Hadoop's local file system keeps a {@code .NAME.crc} beside each file it writes and checks it on every read; a
     * file edited by hand (a tweaked {@code metadata.json}) or damaged afterwards then fails with a bare
     * {@link ChecksumException}. This says which file and what to do.
     */
    static DistilleryException checksumMismatch(String path) {
        Path p = new Path(path);
        String crc = new Path(p.getParent(), "." + p.getName() + ".crc").toString();
        return new DistilleryException("File " + path + " does not match its checksum file " + crc
                + ": it was changed or damaged after Distillery wrote it; rewrite it with the stage that made it, or, "
                + "if you edited it on purpose, delete the .crc file.");
    }

    public void writeProvenance(String dir, Provenance p) {
        writeText(dir + "/" + METADATA, ProvenanceJson.toJson(p));
    }

    /** Reads {@code dir/metadata.json}; a missing file is a user error naming the directory. */
    public Provenance readProvenance(String dir) {
        String path = dir + "/" + METADATA;
        if (!exists(path)) {
            throw new DistilleryException("Artifact " + dir + " has no " + METADATA
                    + "; it was not written by Distillery or its stage did not finish.");
        }
        return ProvenanceJson.fromJson(readText(path), path);
    }

    public void delete(String path) {
        try {
            fs(path).delete(new Path(path), true);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete " + path, e);
        }
    }

    /**
     * The identity of a dataset for provenance and up-to-date checks, from its listing alone: SHA-256 over the
     * relative name, length and modification time of every data file under {@code path} (a file or a directory), in
     * name order, with the bookkeeping files left out as in {@link #contentHash}. No file is opened, so this costs one
     * listing whatever the data's size (hashing the content streamed every byte through the driver, hours at
     * terabyte scale on an object store). Rewriting, adding, removing or renaming a file changes it, and so does
     * copying the data without preserving modification times (the stages then run again: the safe side); what it
     * cannot see is a file changed in place to the same length with its old modification time restored.
     */
    public String dataIdentity(String path) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            FileSystem fs = fs(path);
            Path root = fs.makeQualified(new Path(path));
            String rootText = root.toString();
            for (FileStatus f : sortedDataFiles(fs, root)) {
                String relative = f.getPath().toString().substring(rootText.length());
                digest.update((relative + '\0' + f.getLen() + '\0' + f.getModificationTime() + '\n')
                        .getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new DistilleryException("Cannot list " + path + " to identify it: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * SHA-256 over the relative names and contents of the data files under {@code path} (a file or a directory),
     * in name order; bookkeeping files ({@code metadata.json}, {@code _SUCCESS}, checksums, hidden files) are left
     * out so that the hash identifies the data alone. Every byte passes through the calling JVM: meant for model
     * files, which are small and whose identity must survive a copy; datasets use {@link #dataIdentity}.
     */
    public String contentHash(String path) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            FileSystem fs = fs(path);
            Path root = fs.makeQualified(new Path(path));
            byte[] buffer = new byte[1 << 16];
            String rootText = root.toString();
            for (FileStatus f : sortedDataFiles(fs, root)) {
                String relative = f.getPath().toString().substring(rootText.length());
                digest.update(relative.getBytes(StandardCharsets.UTF_8));
                try (InputStream in = fs.open(f.getPath())) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        digest.update(buffer, 0, n);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new DistilleryException("Cannot read " + path + " to hash it: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<FileStatus> sortedDataFiles(FileSystem fs, Path root) throws IOException {
        List<FileStatus> files = new ArrayList<>();
        collectDataFiles(fs, root, files);
        files.sort(Comparator.comparing(f -> f.getPath().toString()));
        return files;
    }

    private static void collectDataFiles(FileSystem fs, Path p, List<FileStatus> out) throws IOException {
        for (FileStatus s : fs.listStatus(p)) {
            String name = s.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_") || name.equals(METADATA) || name.endsWith(".crc")) {
                continue;
            }
            if (s.isDirectory()) {
                collectDataFiles(fs, s.getPath(), out);
            } else {
                out.add(s);
            }
        }
    }
}
