package io.distillery.data;

import io.distillery.config.DistilleryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxReaderTest {
    static final Path DIR = TestSupport.samples().resolve("fashion-mnist-idx");
    static final Path IMAGES = DIR.resolve("t10k-images-idx3-ubyte.gz");
    static final Path LABELS = DIR.resolve("t10k-labels-idx1-ubyte.gz");

    @TempDir
    Path tmp;

    @Test
    void readsCommittedSample() {
        IdxData d = IdxReader.read(IMAGES, LABELS);
        assertEquals(100, d.size());
        assertEquals(28, d.rows());
        assertEquals(28, d.cols());
        assertEquals(784, d.features()[0].length);
        assertEquals(9, d.labels()[0], "the first t10k image is an ankle boot");
        assertTrue(Arrays.stream(d.labels()).allMatch(l -> l >= 0 && l < 10));
        for (float[] row : d.features()) {
            for (float v : row) {
                assertTrue(v >= 0f && v <= 1f);
            }
        }
        assertEquals(10, Arrays.stream(d.labels()).distinct().count());
    }

    @Test
    void readsPlainFilesLikeGzipped() throws IOException {
        Path images = gunzip(IMAGES, tmp.resolve("x-images-idx3-ubyte"));
        Path labels = gunzip(LABELS, tmp.resolve("x-labels-idx1-ubyte"));
        IdxData plain = IdxReader.read(images, labels);
        IdxData gz = IdxReader.read(IMAGES, LABELS);
        assertArrayEquals(gz.labels(), plain.labels());
        assertArrayEquals(gz.features()[42], plain.features()[42]);
    }

    @Test
    void wrongMagicNamesFileAndValue() {
        DistilleryException e = assertThrows(DistilleryException.class, () -> IdxReader.read(LABELS, IMAGES));
        assertTrue(e.getMessage().contains(LABELS.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("2049") && e.getMessage().contains("2051"), e.getMessage());
        assertTrue(e.getMessage().contains("swapped"), e.getMessage());
    }

    @Test
    void truncatedFileIsReported() throws IOException {
        byte[] all = gunzipBytes(IMAGES);
        Path cut = tmp.resolve("cut-images-idx3-ubyte");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        DistilleryException e = assertThrows(DistilleryException.class, () -> IdxReader.read(cut, LABELS));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        Path header = tmp.resolve("header-images-idx3-ubyte");
        Files.write(header, Arrays.copyOf(all, 6));
        e = assertThrows(DistilleryException.class, () -> IdxReader.read(header, LABELS));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void countMismatchNamesBothCounts() throws IOException {
        Path labels = tmp.resolve("short-labels-idx1-ubyte");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(labels))) {
            out.writeInt(IdxReader.LABELS_MAGIC);
            out.writeInt(99);
            out.write(new byte[99]);
        }
        DistilleryException e = assertThrows(DistilleryException.class, () -> IdxReader.read(IMAGES, labels));
        assertTrue(e.getMessage().contains("100 images") && e.getMessage().contains("99 labels"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path none = tmp.resolve("none-images-idx3-ubyte.gz");
        DistilleryException e = assertThrows(DistilleryException.class, () -> IdxReader.read(none, LABELS));
        assertTrue(e.getMessage().contains(none.toString()), e.getMessage());
    }

    private static Path gunzip(Path gz, Path out) throws IOException {
        Files.write(out, gunzipBytes(gz));
        return out;
    }

    private static byte[] gunzipBytes(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return in.readAllBytes();
        }
    }
}
