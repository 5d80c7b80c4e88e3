package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.data.InputPreparation;
import io.distillery.model.Dl4jTeacherRuntime;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.ModelArtifact;
import io.distillery.onnx.OnnxExporter;
import io.distillery.onnx.OnnxTeacherRuntime;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.List;

/**
 * A DL4J teacher (an artifact directory), loaded on the driver with its hash and how its inputs were prepared; run by
 * DL4J, or with {@code soft-targets.runtime = onnx} exported to ONNX here and run by ONNX Runtime.
 */
record Dl4jTeacher(String path, MultiLayerNetwork net, String hash, InputPreparation preparation)
        implements SoftTargetsJob.Teacher {

    static Dl4jTeacher load(JobContext ctx) {
        String path = ctx.config().teacher().path();
        MultiLayerNetwork net = ModelArtifact.load(ctx.files(), path);
        InputPreparation p = InputPreparation.fromFacts(ctx.files().readProvenance(path), path,
                "the teacher at " + path, (int) net.getOutputLayer().getParam("b").length());
        return new Dl4jTeacher(path, net, ModelArtifact.hash(ctx.files(), path), p);
    }

    /** The teacher must fit the data: same class count, same input width, and every tap must name a layer. */
    @Override
    public void check(JobContext ctx, int width) {
        ConfigProblems problems = new ConfigProblems();
        long classes = net.getOutputLayer().getParam("b").length();
        problems.check(classes == ctx.config().data().numClasses(), "Teacher " + path + " has " + classes
                + " output classes but distillery.data.num-classes is " + ctx.config().data().numClasses() + ".");
        long teacherWidth = net.layerInputSize(0);
        boolean conv = !ctx.config().data().inputShape().isEmpty();
        problems.check(conv || teacherWidth == width, "Teacher " + path + " takes " + teacherWidth
                + " input features but the training data has " + width + ".");
        SoftTargetsJob.Teacher.checkTopK(ctx, problems, classes, path);
        problems.throwIfAny();
        LogitsAndTaps.resolveTaps(net, ctx.config().softTargets().taps());
    }

    @Override
    public SoftTargetsJob.Shipped ship(JobContext ctx, int width) {
        List<String> taps = ctx.config().softTargets().taps();
        if (ctx.config().softTargets().runtime().equals("onnx")) {
            Broadcast<byte[]> onnx = ctx.sc().broadcast(OnnxExporter.export(net, taps));
            // The export depends on the taps, so they are part of the executors' cache key.
            return new SoftTargetsJob.Shipped(new OnnxTeacherRuntime.Source(onnx, hash + "/onnx" + taps,
                    "the ONNX export of " + path, OnnxExporter.LOGITS, taps, false), onnx);
        }
        Broadcast<byte[]> zip = ctx.sc().broadcast(ctx.files().readBytes(path + "/" + ModelArtifact.MODEL_FILE));
        return new SoftTargetsJob.Shipped(new Dl4jTeacherRuntime.Source(zip, hash, taps, width), zip);
    }
}
