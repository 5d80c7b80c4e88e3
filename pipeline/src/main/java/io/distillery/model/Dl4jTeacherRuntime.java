package io.distillery.model;

import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * A DL4J teacher ({@code model.zip}) run by DL4J: {@link LogitsAndTaps} over a network deserialized once per executor
 * thread ({@link ExecutorModelCache}).
 */
public final class Dl4jTeacherRuntime implements TeacherRuntime {
    private final LogitsAndTaps teacher;
    private final int inputWidth;

    /** Runs {@code teacher} on rows of {@code inputWidth} features. */
    public Dl4jTeacherRuntime(LogitsAndTaps teacher, int inputWidth) {
        this.teacher = teacher;
        this.inputWidth = inputWidth;
    }

    @Override
    public Outputs forward(float[] features, int rows) {
        LogitsAndTaps.Result r = teacher.forward(Nd4j.create(features, new long[]{rows, inputWidth}, 'c'));
        float[][][] taps = new float[r.taps().length][][];
        for (int t = 0; t < taps.length; t++) {
            taps[t] = HostArrays.floatRows(r.taps()[t]);
        }
        return new Outputs(HostArrays.floatRows(r.logits()), taps);
    }

    /**
     * The broadcast model zip, its hash (the cache key), the taps and the input width.
     *
     * @param zip the teacher's {@code model.zip} bytes
     */
    public record Source(Broadcast<byte[]> zip, String hash, List<String> taps, int inputWidth)
            implements TeacherRuntime.Source {
        private static final long serialVersionUID = 1L;

        public Source {
            taps = List.copyOf(taps);
        }

        @Override
        public TeacherRuntime open() {
            LogitsAndTaps net = ExecutorModelCache.get(hash, zip.value(), "logits+" + taps,
                    n -> new LogitsAndTaps(n, taps));
            return new Dl4jTeacherRuntime(net, inputWidth);
        }
    }
}
