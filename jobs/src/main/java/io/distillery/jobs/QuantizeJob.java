package io.distillery.jobs;

import io.distillery.config.DistilleryException;
import io.distillery.model.FakeInt8Weights;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * {@code quantize}: post-training int8 quantisation of a trained float32 model artifact. The new artifact is the same
 * network computing with its weights rounded to int8 per output unit ({@link FakeInt8Weights}, exactly what a
 * model trained with {@code model.quantize = int8} computes with, and what {@code export-onnx} stores as int8), so
 * that {@code evaluate --model NAME=DIR} measures what quantising after training costs and {@code export-onnx}
 * serves it. Its provenance is the source's (the data preparation it was trained with still applies) with the facts
 * {@value #QUANTIZED} and {@value #QUANTIZED_FROM}; it is written atomically.
 */
public final class QuantizeJob {
    /** Fact naming how the model was quantised. */
    public static final String QUANTIZED = "quantized";
    /** Fact holding the content hash of the float32 model quantised. */
    public static final String QUANTIZED_FROM = "quantized-from";

    private QuantizeJob() {
    }

    /** Writes the int8 version of the model at {@code modelDir} to {@code output}. */
    public static void run(ArtifactFiles files, String modelDir, String output, boolean overwrite) {
        if (!files.isCommitted(modelDir)) {
            throw new DistilleryException("Model " + modelDir + " (--model) holds no committed model artifact.");
        }
        if (files.exists(SelfDistillJob.exitPath(modelDir, ""))) {
            throw new DistilleryException("Model " + modelDir + " is a multi-exit student; pass one exit's "
                    + "directory, " + SelfDistillJob.exitPath(modelDir, "<exit>") + ".");
        }
        MultiLayerNetwork net = ModelArtifact.load(files, modelDir);
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        for (int i = 0; i < conf.getConfs().size(); i++) {
            if (conf.getConf(i).getLayer() instanceof BaseLayer layer) {
                if (layer.getWeightNoise() instanceof FakeInt8Weights) {
                    throw new DistilleryException("Model " + modelDir + " already computes with int8 weights "
                            + "(trained with model.quantize = int8); export-onnx stores them as int8.");
                }
                if (layer.getWeightNoise() != null) {
                    throw new DistilleryException("Layer '" + layer.getLayerName() + "' of model " + modelDir
                            + " has the weight noise " + layer.getWeightNoise().getClass().getSimpleName()
                            + ", which int8 quantisation would replace.");
                }
                layer.setWeightNoise(new FakeInt8Weights());
            }
        }
        MultiLayerNetwork quantized = new MultiLayerNetwork(conf);
        quantized.init(net.params().dup(), false);
        Provenance provenance = files.readProvenance(modelDir)
                .withFact(QUANTIZED, "post-training int8 (per output unit)")
                .withFact(QUANTIZED_FROM, ModelArtifact.hash(files, modelDir));
        ModelArtifact.save(files, quantized, output, provenance, overwrite);
    }
}
