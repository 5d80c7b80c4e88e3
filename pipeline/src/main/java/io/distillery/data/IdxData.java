package io.distillery.data;

/**
 * The content of an IDX image file and its label file, in memory.
 *
 * @param features one row per image, pixels in row-major order scaled to {@code [0, 1]} (uint8 / 255)
 * @param labels   one label per image
 * @param rows     image height
 * @param cols     image width
 */
public record IdxData(float[][] features, int[] labels, int rows, int cols) {

    /** Number of images. */
    public int size() {
        return labels.length;
    }
}
