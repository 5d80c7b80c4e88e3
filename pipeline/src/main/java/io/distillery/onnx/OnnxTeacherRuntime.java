package io.distillery.onnx;

import io.distillery.model.TeacherRuntime;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An ONNX teacher run by ONNX Runtime: one forward pass per batch requesting the logits output and the tapped
 * outputs. A model whose output is already probabilities gives {@code log p} as its logits: softmax of them is p
 * again, so temperatures and top-k work on them as on raw logits (p is floored at the smallest normal float so a
 * zero probability stays finite).
 */
public final class OnnxTeacherRuntime implements TeacherRuntime {
    private final OnnxModel model;
    private final List<String> outputs;
    private final boolean probabilities;

    /**
     * @param logitsOutput  the output holding the logits (or probabilities)
     * @param taps          outputs stored as taps, in store order
     * @param probabilities true when {@code logitsOutput} holds probabilities rather than logits
     */
    public OnnxTeacherRuntime(OnnxModel model, String logitsOutput, List<String> taps, boolean probabilities) {
        this.model = model;
        this.outputs = new ArrayList<>();
        this.outputs.add(logitsOutput);
        this.outputs.addAll(taps);
        this.probabilities = probabilities;
    }

    @Override
    public Outputs forward(float[] features, int rows) {
        float[][][] out = model.run(features, rows, outputs);
        float[][] logits = out[0];
        if (probabilities) {
            for (float[] row : logits) {
                for (int c = 0; c < row.length; c++) {
                    row[c] = (float) Math.log(Math.max(row[c], Float.MIN_NORMAL));
                }
            }
        }
        return new Outputs(logits, Arrays.copyOfRange(out, 1, out.length));
    }

    /**
     * The broadcast {@code .onnx} bytes and which outputs to read; ONNX Runtime runs each batch with as many
     * threads as the task has cores ({@code spark.task.cpus}), so concurrent tasks do not oversubscribe the
     * executor.
     */
    public record Source(Broadcast<byte[]> model, String hash, String path, String logitsOutput, List<String> taps,
                         boolean probabilities) implements TeacherRuntime.Source {
        private static final long serialVersionUID = 1L;

        public Source {
            taps = List.copyOf(taps);
        }

        @Override
        public TeacherRuntime open() {
            TaskContext task = TaskContext.get();
            int threads = task == null ? 1 : task.cpus();
            return new OnnxTeacherRuntime(OnnxSessions.get(hash, model.value(), path, threads), logitsOutput, taps,
                    probabilities);
        }
    }
}
