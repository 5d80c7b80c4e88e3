package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistilleryException;
import io.distillery.config.SoftTargetSpec;
import io.distillery.data.FeatureScaling;
import io.distillery.data.InputPreparation;
import io.distillery.data.LabelIndex;
import io.distillery.onnx.OnnxModel;
import io.distillery.onnx.OnnxTeacherRuntime;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX teacher ({@code teacher.path} ending in {@code .onnx}), opened once on the driver to read its signature:
 * the input's width, its outputs, and the logits output ({@code soft-targets.onnx.logits-output}, or the first).
 * It carries no provenance, so its classes are integers (as many as the logits are wide) and its features unscaled.
 *
 * @param inputWidth the input's width per row, -1 when a dimension after the batch is symbolic
 * @param outputs    the model's outputs, in its order
 * @param logits     the output read as the logits
 * @param classes    the logits' width
 */
record OnnxTeacher(String path, String hash, byte[] bytes, long inputWidth, List<String> outputs, String logits,
                   long classes, InputPreparation preparation) implements SoftTargetsJob.Teacher {

    static OnnxTeacher load(JobContext ctx) {
        String path = ctx.config().teacher().path();
        if (!ctx.files().exists(path)) {
            throw new DistilleryException("ONNX teacher " + path + " (distillery.teacher.path) does not exist.");
        }
        byte[] bytes = ctx.files().readBytes(path);
        SoftTargetSpec spec = ctx.config().softTargets();
        try (OnnxModel model = OnnxModel.open(bytes, path, 1)) {
            List<String> outputs = model.outputNames();
            String logits = spec.onnxLogits().isEmpty() ? outputs.get(0) : spec.onnxLogits();
            if (!outputs.contains(logits)) {
                throw new DistilleryException("Key distillery.soft-targets.onnx.logits-output is '" + logits
                        + "' but ONNX teacher " + path + " has the outputs " + outputs + ".");
            }
            long classes = classes(model, logits, path);
            InputPreparation p = new InputPreparation(LabelIndex.integers((int) classes), FeatureScaling.NONE,
                    "the ONNX teacher at " + path);
            return new OnnxTeacher(path, ctx.files().contentHash(path), bytes, model.inputWidth(), outputs, logits,
                    classes, p);
        }
    }

    /** The logits' width: declared, or else measured on one row of zeros. */
    private static long classes(OnnxModel model, String logits, String path) {
        long declared = model.declaredWidth(logits);
        if (declared >= 0) {
            return declared;
        }
        if (model.inputWidth() < 0) {
            throw new DistilleryException("ONNX teacher " + path + " declares neither its input width nor the width "
                    + "of its output '" + logits + "'; give the model fixed dimensions after the batch.");
        }
        return model.run(new float[(int) model.inputWidth()], 1, List.of(logits))[0][0].length;
    }

    /**
     * Each output's shape after the batch, as the store's tap shapes for feature terms ({@code [width]} for a flat
     * or symbolic output, e.g. {@code [channels, height, width]} where the model declares one).
     */
    static Map<String, int[]> outputShapes(JobContext ctx, String path) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (OnnxModel model = OnnxModel.open(ctx.files().readBytes(path), path, 1)) {
            for (String output : model.outputNames()) {
                long[] dims = model.declaredDims(output);
                boolean known = java.util.Arrays.stream(dims).allMatch(d -> d >= 0);
                shapes.put(output, known ? java.util.Arrays.stream(dims).mapToInt(d -> (int) d).toArray()
                        : new int[]{-1});
            }
        }
        return shapes;
    }

    /** Input width, class count and taps are checked here, on the driver, before any Spark job. */
    @Override
    public void check(JobContext ctx, int width) {
        ConfigProblems problems = new ConfigProblems();
        problems.check(inputWidth < 0 || inputWidth == width, "ONNX teacher " + path + " reads " + inputWidth
                + " input features per row but the training data has " + width + ".");
        int numClasses = ctx.config().data().numClasses();
        problems.check(classes == numClasses, "ONNX teacher " + path + " has " + classes + " classes (output '"
                + logits + "' is " + classes + " wide) but distillery.data.num-classes is " + numClasses + ".");
        SoftTargetsJob.Teacher.checkTopK(ctx, problems, classes, path);
        List<String> unknown = new ArrayList<>(ctx.config().softTargets().taps());
        unknown.removeAll(outputs);
        problems.check(unknown.isEmpty(), "Feature tap " + unknown + " names no output of ONNX teacher " + path
                + "; its outputs are " + outputs + ".");
        problems.throwIfAny();
    }

    @Override
    public SoftTargetsJob.Shipped ship(JobContext ctx, int width) {
        Broadcast<byte[]> model = ctx.sc().broadcast(bytes);
        return new SoftTargetsJob.Shipped(new OnnxTeacherRuntime.Source(model, hash, path, logits,
                ctx.config().softTargets().taps(), ctx.config().softTargets().onnxProbabilities()), model);
    }
}
