package io.distillery.model;

import io.distillery.config.DistilleryException;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a trained network in inference mode (dropout off) and returns its raw logits (the output layer's
 * pre-activations, so that any temperature can be applied later) and the flattened activations of named layers.
 * <p>
 * Logits are taken from a twin of the network whose output activation is the identity and whose parameters are a
 * view of the original's: one forward pass yields every tapped activation and the logits, with no copy of the weights
 * and no {@code log(softmax)} underflow for confident predictions.
 */
public final class LogitsAndTaps {
    private final MultiLayerNetwork logitsNet;
    private final int[] tapLayerIndices;

    /** @param taps layer names to tap; a name the network does not have fails fast, listing the names it has */
    public LogitsAndTaps(MultiLayerNetwork net, List<String> taps) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations().clone();
        int last = conf.getConfs().size() - 1;
        ((BaseOutputLayer) conf.getConf(last).getLayer()).setActivationFn(new ActivationIdentity());
        this.logitsNet = new MultiLayerNetwork(conf);
        this.logitsNet.init(net.params(), false);
        this.tapLayerIndices = resolveTaps(net, taps);
    }

    /** Index of each tapped layer; throws a {@link DistilleryException} naming unknown layers. */
    public static int[] resolveTaps(MultiLayerNetwork net, List<String> taps) {
        List<String> names = layerNames(net);
        int[] idx = new int[taps.size()];
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < taps.size(); i++) {
            idx[i] = names.indexOf(taps.get(i));
            if (idx[i] < 0) {
                unknown.add(taps.get(i));
            }
        }
        if (!unknown.isEmpty()) {
            throw new DistilleryException("Feature tap " + unknown + " names no layer of the teacher; its layers are "
                    + names + ".");
        }
        return idx;
    }

    public static List<String> layerNames(MultiLayerNetwork net) {
        List<String> names = new ArrayList<>();
        for (Layer l : net.getLayers()) {
            names.add(l.conf().getLayer().getLayerName());
        }
        return names;
    }

    /** Logits {@code [n, classes]} and one {@code [n, width]} array per tap, in tap order. */
    public Result forward(INDArray features) {
        List<INDArray> activations = logitsNet.feedForward(features, false);
        INDArray logits = activations.get(activations.size() - 1);
        INDArray[] taps = new INDArray[tapLayerIndices.length];
        for (int i = 0; i < taps.length; i++) {
            INDArray a = activations.get(tapLayerIndices[i] + 1);
            taps[i] = a.rank() == 2 ? a : a.reshape('c', a.size(0), a.length() / a.size(0));
        }
        return new Result(logits, taps);
    }

    /**
     * One forward pass.
     *
     * @param logits the output layer's pre-activations
     * @param taps   flattened activations of the tapped layers
     */
    public record Result(INDArray logits, INDArray[] taps) {
        @Override
        public String toString() {
            return "Result[logits=" + Arrays.toString(logits.shape()) + ", taps=" + taps.length + "]";
        }
    }
}
