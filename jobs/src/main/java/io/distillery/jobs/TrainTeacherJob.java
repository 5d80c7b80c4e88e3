package io.distillery.jobs;

import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.RoleSpec;
import io.distillery.data.InputPreparation;
import io.distillery.model.ModelFactory;
import io.distillery.provenance.Provenance;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainingBlock;
import io.distillery.train.TrainingBlocks;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code train-teacher}: trains the teacher on the labelled training set by parameter averaging across executors
 * and saves it (DL4J zip with updater state + {@code metadata.json}).
 */
public final class TrainTeacherJob {
    static final String STAGE = "train-teacher";
    private static final Logger LOG = LoggerFactory.getLogger(TrainTeacherJob.class);

    private TrainTeacherJob() {
    }

    /** The fingerprint of the teacher this config would train. */
    static String fingerprint(JobContext ctx) {
        DistilleryConfig cfg = ctx.config();
        return Fingerprint.of(STAGE, Long.toString(cfg.seed()), Configs.render(cfg, "data"),
                Configs.render(cfg, "teacher.model"), Configs.render(cfg, "teacher.train"),
                ctx.files().dataIdentity(cfg.data().train()));
    }

    public static void run(JobContext configured) {
        String path = configured.config().teacher().path();
        if (TeacherArtifact.isOnnx(path)) {
            throw new DistilleryException("Key distillery.teacher.path is " + path + ", an ONNX model: train-teacher "
                    + "trains DL4J teachers into a directory; run soft-targets with the ONNX teacher instead.");
        }
        StageOutput.checkWritable(configured, configured.config().teacher().path());
        // The class index and the scaling statistics are fitted here, once; every later stage reads them back.
        Inputs.Fitted fitted = Inputs.fitTrain(configured);
        JobContext ctx = fitted.ctx();
        DistilleryConfig cfg = ctx.config();
        RoleSpec teacher = cfg.teacher();
        Dataset<Row> all = fitted.rows();
        Dataset<Row> train = Splits.training(ctx, all);
        int width = Inputs.featureWidth(ctx, all);
        int classes = cfg.data().numClasses();
        String fingerprint = fingerprint(ctx);

        TrainingBlocks trainBlocks = TrainingBlocks.pack(train, ctx.workers(teacher.train().workers()), width,
                RowLabels.oneHot(classes), teacher.train().blockMb());
        TrainingBlocks testBlocks = Splits.heldOut(ctx, all, width, teacher.train().blockMb());
        MultiLayerNetwork net = ModelFactory.build(teacher.model(), width, cfg.data().inputShape(), classes,
                new LossMCXENT(), cfg.seed());
        LOG.info("teacher: {} parameters, {} layers, training {} epochs on {} partitions; {}, feature scaling {}",
                net.numParams(), teacher.model().layers().size(), teacher.train().epochs(),
                trainBlocks.workers(), ctx.preparation().labels().describe(),
                ctx.preparation().scaling().describe());

        Provenance provenance = ctx.provenance(STAGE,
                List.of(new Provenance.InputRef("train-data", cfg.data().train(),
                        ctx.files().dataIdentity(cfg.data().train()))),
                modelFacts("teacher", classes, width, fingerprint, ctx.preparation()));
        Training.Trained trained = Training.trainOne(ctx, "teacher", teacher, trainBlocks, testBlocks,
                StudentPlan.plain(net, RowLabels.oneHot(classes), "ce"), provenance);
        Training.save(ctx, trained, teacher.path());
        Training.checkpoints(ctx, teacher.path()).clear();
        trainBlocks.unpersist();
        testBlocks.unpersist();
        LOG.info("teacher: saved to {}", teacher.path());
    }

    /**
     * A model's facts: role, class count, input width, fingerprint, then what its inputs were prepared with (the
     * class names of string labels, the scaling statistics; nothing for integer labels without scaling).
     */
    static Map<String, String> modelFacts(String role, int classes, int width, String fingerprint,
                                          InputPreparation preparation) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("role", role);
        facts.put("num-classes", Integer.toString(classes));
        facts.put("input-width", Integer.toString(width));
        facts.put(Fingerprint.FACT, fingerprint);
        facts.putAll(preparation.facts());
        return facts;
    }
}
