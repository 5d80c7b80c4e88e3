package io.distillery.store;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;

/**
 * The few operations on small files that {@link OutputLock} needs, with the one that matters, an exclusive create,
 * atomic on the file system at hand. Hadoop's {@code create(path, false)} is atomic on HDFS (the NameNode refuses
 * an existing name), but on the local file system it is an existence check followed by an open, so two processes
 * can both "create" the same file; for local paths every operation goes through {@code java.nio} instead, whose
 * {@code CREATE_NEW} is one {@code open(O_CREAT | O_EXCL)}. Files made this way have no Hadoop {@code .crc}.
 */
abstract class LockFiles {

    static LockFiles of(FileSystem fs) {
        if (fs instanceof LocalFileSystem local && local.getRaw() instanceof RawLocalFileSystem raw) {
            return new Local(raw);
        }
        if (fs instanceof RawLocalFileSystem raw) {
            return new Local(raw);
        }
        return new Hadoop(fs);
    }

    /** Creates {@code p} holding {@code content}; false, leaving the file alone, when it already exists. */
    abstract boolean createExclusive(Path p, byte[] content) throws IOException;

    /** The content of {@code p}, or null when it does not exist. */
    abstract byte[] read(Path p) throws IOException;

    /** The modification time of {@code p} in epoch milliseconds, or -1 when it does not exist. */
    abstract long modified(Path p) throws IOException;

    /** Sets the modification time of {@code p}; {@link FileNotFoundException} when it does not exist. */
    abstract void touch(Path p, long millis) throws IOException;

    /** Renames the file {@code from} to {@code to}, a name nothing else uses; false when {@code from} is gone. */
    abstract boolean rename(Path from, Path to) throws IOException;

    /** Deletes the file {@code p} if it exists. */
    abstract void delete(Path p) throws IOException;

    /** Local paths through {@code java.nio}: atomic exclusive create, and no checksum files. */
    private static final class Local extends LockFiles {
        private final RawLocalFileSystem fs;

        Local(RawLocalFileSystem fs) {
            this.fs = fs;
        }

        private java.nio.file.Path local(Path p) {
            return fs.pathToFile(p).toPath();
        }

        @Override
        boolean createExclusive(Path p, byte[] content) throws IOException {
            try {
                Files.write(local(p), content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }

        @Override
        byte[] read(Path p) throws IOException {
            try {
                return Files.readAllBytes(local(p));
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        @Override
        long modified(Path p) throws IOException {
            try {
                return Files.getLastModifiedTime(local(p)).toMillis();
            } catch (NoSuchFileException e) {
                return -1;
            }
        }

        @Override
        void touch(Path p, long millis) throws IOException {
            try {
                Files.setLastModifiedTime(local(p), FileTime.fromMillis(millis));
            } catch (NoSuchFileException e) {
                throw new FileNotFoundException(p.toString());
            }
        }

        @Override
        boolean rename(Path from, Path to) throws IOException {
            try {
                Files.move(local(from), local(to), StandardCopyOption.ATOMIC_MOVE);
                return true;
            } catch (NoSuchFileException e) {
                return false;
            }
        }

        @Override
        void delete(Path p) throws IOException {
            Files.deleteIfExists(local(p));
        }
    }

    /** Any other Hadoop file system; {@code create(path, false)} must be atomic there (it is on HDFS). */
    static final class Hadoop extends LockFiles {
        private final FileSystem fs;

        Hadoop(FileSystem fs) {
            this.fs = fs;
        }

        @Override
        boolean createExclusive(Path p, byte[] content) throws IOException {
            FSDataOutputStream out;
            try {
                out = fs.create(p, false);
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (IOException e) {
                // HDFS says AlreadyBeingCreatedException while another client still holds the new file's lease.
                if (fs.exists(p)) {
                    return false;
                }
                throw e;
            }
            try (out) {
                out.write(content);
            }
            return true;
        }

        @Override
        byte[] read(Path p) throws IOException {
            try (FSDataInputStream in = fs.open(p)) {
                return in.readAllBytes();
            } catch (FileNotFoundException e) {
                return null;
            }
        }

        @Override
        long modified(Path p) throws IOException {
            try {
                return fs.getFileStatus(p).getModificationTime();
            } catch (FileNotFoundException e) {
                return -1;
            }
        }

        @Override
        void touch(Path p, long millis) throws IOException {
            fs.setTimes(p, millis, -1);
        }

        @Override
        boolean rename(Path from, Path to) throws IOException {
            try {
                return fs.rename(from, to);  // HDFS says false when from is gone
            } catch (FileNotFoundException e) {
                return false;  // others (Hadoop's local file system, S3A) throw instead
            }
        }

        @Override
        void delete(Path p) throws IOException {
            fs.delete(p, false);
        }
    }
}
