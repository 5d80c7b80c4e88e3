package io.distillery.jobs;

import io.distillery.config.RoleSpec;
import io.distillery.provenance.Provenance;
import io.distillery.train.AveragingBackend;
import io.distillery.train.Checkpoints;
import io.distillery.train.DistributedTrainer;
import io.distillery.train.Dl4jParameterAveragingBackend;
import io.distillery.train.HeldOutAccuracy;
import io.distillery.train.TrainingBackend;
import io.distillery.train.TrainingBlock;
import io.distillery.model.TrainingGraph;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Wires a role's training: the configured backend, per-epoch checkpoints beside the output, held-out accuracy. */
final class Training {
    private Training() {
    }

    /** Checkpoints of the run that produces {@code outputPath} live beside it, in {@code <output>.checkpoints}. */
    static Checkpoints checkpoints(JobContext ctx, String outputPath) {
        return new Checkpoints(ctx.files(), outputPath + ".checkpoints");
    }

    static MultiLayerNetwork train(JobContext ctx, String name, RoleSpec role, JavaRDD<TrainingBlock> train,
                                   JavaRDD<TrainingBlock> test, MultiLayerNetwork fresh, Provenance provenance) {
        HeldOutAccuracy heldOut = new HeldOutAccuracy(ctx.sc(), test, ctx.config().data().numClasses(),
                ctx.config().evaluate().batchSize());
        DistributedTrainer trainer = new DistributedTrainer(name, role.train(), checkpoints(ctx, role.path()),
                provenance);
        try (TrainingBackend backend = backend(ctx, role, train, fresh)) {
            return trainer.train(backend, fresh, ctx.resume(), heldOut::of);
        }
    }

    /**
     * Trains a student's training graph by our parameter averaging; held-out accuracy is that of the plain student
     * exported into {@code exportTarget} each epoch, and the checkpoints hold the whole graph (regressors and
     * updater state included), so {@code --resume} continues it.
     *
     * @param segments the label columns of each graph output, as (offset, width) pairs
     */
    static ComputationGraph trainGraph(JobContext ctx, String name, RoleSpec role, JavaRDD<TrainingBlock> train,
                                       JavaRDD<TrainingBlock> test, ComputationGraph fresh, int[] segments,
                                       MultiLayerNetwork exportTarget, Provenance provenance) {
        HeldOutAccuracy heldOut = new HeldOutAccuracy(ctx.sc(), test, ctx.config().data().numClasses(),
                ctx.config().evaluate().batchSize());
        DistributedTrainer trainer = new DistributedTrainer(name, role.train(), checkpoints(ctx, role.path()),
                provenance);
        try (TrainingBackend backend = new AveragingBackend(ctx.sc(), train, role.train(), ctx.config().seed(),
                fresh, segments)) {
            return trainer.train(backend, fresh, ctx.resume(),
                    g -> heldOut.of(TrainingGraph.export(g, exportTarget)));
        }
    }

    private static TrainingBackend backend(JobContext ctx, RoleSpec role, JavaRDD<TrainingBlock> train,
                                           MultiLayerNetwork template) {
        if (role.train().backend().equals("dl4j")) {
            return new Dl4jParameterAveragingBackend(ctx.sc(), train, role.train(), ctx.config().seed());
        }
        return new AveragingBackend(ctx.sc(), train, role.train(), ctx.config().seed(), template);
    }
}
