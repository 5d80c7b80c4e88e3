package io.distillery.model;

import java.io.Serializable;

/**
 * What runs a teacher on an executor, whatever the engine (DL4J, {@link Dl4jTeacherRuntime}, or ONNX Runtime,
 * {@link io.distillery.onnx.OnnxTeacherRuntime}): a batch of flat feature rows in, the logits and the tapped
 * activations out, as plain host arrays. {@link TeacherInference} builds store rows from them and does not know
 * which engine ran.
 */
public interface TeacherRuntime {

    /**
     * One forward pass in inference mode.
     *
     * @param features {@code rows * width} floats, row-major
     * @param rows     number of rows
     */
    Outputs forward(float[] features, int rows);

    /**
     * One batch's outputs.
     *
     * @param logits {@code [rows][classes]} pre-softmax scores (what the store keeps)
     * @param taps   per tap, in tap order, {@code [rows][width]} flattened activations
     */
    record Outputs(float[][] logits, float[][][] taps) {
    }

    /**
     * What the driver ships to the executors (the model bytes as a broadcast, the taps): each executor opens the
     * runtime from it once and reuses it across tasks.
     */
    interface Source extends Serializable {
        /** The runtime for the calling task, opened on first use and cached per executor. */
        TeacherRuntime open();
    }
}
