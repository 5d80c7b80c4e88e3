package io.distillery.data;

import io.distillery.config.DistilleryException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST: big-endian int32 magic (2051 for images, 2049 for labels), int32
 * count (then rows and columns for images), then unsigned bytes. Files may be gzipped or plain; the gzip magic bytes
 * decide, not the file name, because renamed or pre-extracted copies are common.
 */
public final class IdxReader {
    /** Magic number of an IDX file of unsigned-byte images (3 dimensions). */
    public static final int IMAGES_MAGIC = 2051;
    /** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
    public static final int LABELS_MAGIC = 2049;

    private IdxReader() {
    }

    /**
     * Reads an image file and its label file.
     *
     * @throws DistilleryException on a missing file, a wrong magic number, a truncated file or a count mismatch
     */
    public static IdxData read(Path images, Path labels) {
        Images img = readImages(images);
        int[] lab = readLabels(labels);
        if (lab.length != img.pixels.length) {
            throw new DistilleryException("IDX image file '" + images + "' holds " + img.pixels.length
                    + " images but label file '" + labels + "' holds " + lab.length
                    + " labels; they must hold the same number.");
        }
        return new IdxData(img.pixels, lab, img.rows, img.cols);
    }

    /** Reads only the labels of an IDX label file. */
    public static int[] readLabels(Path file) {
        try (DataInputStream in = open(file)) {
            expectMagic(file, in.readInt(), LABELS_MAGIC, "label");
            int n = nonNegative(file, in.readInt(), "label count");
            byte[] raw = readExactly(file, in, n, n + " labels");
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = raw[i] & 0xff;
            }
            return labels;
        } catch (EOFException e) {
            throw truncatedHeader(file, e);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private record Images(float[][] pixels, int rows, int cols) {
    }

    private static Images readImages(Path file) {
        try (DataInputStream in = open(file)) {
            expectMagic(file, in.readInt(), IMAGES_MAGIC, "image");
            int n = nonNegative(file, in.readInt(), "image count");
            int rows = nonNegative(file, in.readInt(), "row count");
            int cols = nonNegative(file, in.readInt(), "column count");
            long size = (long) rows * cols;
            if (size > Integer.MAX_VALUE / 2 || size * n > Integer.MAX_VALUE * 8L) {
                throw new DistilleryException("IDX image file '" + file + "' declares " + n + " images of " + rows
                        + "x" + cols + " pixels, too large to read into memory; is it really an IDX image file?");
            }
            float[][] pixels = new float[n][(int) size];
            byte[] buf = new byte[(int) size];
            for (int i = 0; i < n; i++) {
                readExactly(file, in, buf, "image " + i + " of the " + n + " images of " + rows + "x" + cols
                        + " pixels its header declares");
                float[] row = pixels[i];
                for (int j = 0; j < buf.length; j++) {
                    row[j] = (buf[j] & 0xff) / 255f;
                }
            }
            return new Images(pixels, rows, cols);
        } catch (EOFException e) {
            throw truncatedHeader(file, e);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    /** Opens a file, transparently un-gzipping it when it starts with the gzip magic bytes 1f 8b. */
    static DataInputStream open(Path file) throws IOException {
        InputStream in;
        try {
            in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new DistilleryException("IDX file '" + file + "' does not exist.", e);
        }
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            in = new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        }
        return new DataInputStream(in);
    }

    private static void expectMagic(Path file, int found, int expected, String kind) {
        if (found != expected) {
            String hint = (found == IMAGES_MAGIC || found == LABELS_MAGIC)
                    ? " (" + found + " is the magic of an IDX " + (found == IMAGES_MAGIC ? "image" : "label")
                    + " file: are the image and label paths swapped?)"
                    : "";
            throw new DistilleryException("File '" + file + "' starts with magic number " + found
                    + " but an IDX " + kind + " file starts with " + expected + hint + ".");
        }
    }

    private static int nonNegative(Path file, int value, String what) {
        if (value < 0) {
            throw new DistilleryException("IDX file '" + file + "' declares a negative " + what + " (" + value
                    + "); the file is corrupt.");
        }
        return value;
    }

    private static byte[] readExactly(Path file, DataInputStream in, int n, String what) throws IOException {
        byte[] buf = new byte[n];
        readExactly(file, in, buf, what);
        return buf;
    }

    /** Reads {@code buf.length} bytes, reporting how far the file got when it ends early. */
    private static void readExactly(Path file, InputStream in, byte[] buf, String what) throws IOException {
        int got = 0;
        try {
            while (got < buf.length) {
                int r = in.read(buf, got, buf.length - got);
                if (r < 0) {
                    break;
                }
                got += r;
            }
        } catch (EOFException e) {
            // A gzip stream cut short raises EOFException instead of returning -1; same meaning.
        }
        if (got < buf.length) {
            throw new DistilleryException("IDX file '" + file + "' is truncated: it ends after " + got + " of the "
                    + buf.length + " bytes of " + what + ".");
        }
    }

    private static DistilleryException truncatedHeader(Path file, EOFException e) {
        return new DistilleryException("IDX file '" + file + "' is truncated: it ends inside its header.", e);
    }

    private static DistilleryException unreadable(Path file, IOException e) {
        return new DistilleryException("IDX file '" + file + "' could not be read: " + e.getMessage() + ".", e);
    }
}
