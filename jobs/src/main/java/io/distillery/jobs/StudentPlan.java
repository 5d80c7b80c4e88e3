package io.distillery.jobs;

import io.distillery.model.TrainingGraph;
import io.distillery.train.LabelLayout;
import io.distillery.train.ModelState;
import io.distillery.train.Network;
import io.distillery.train.RowLabels;
import io.distillery.train.TrainedModel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.List;

/**
 * A model as it is trained, whether a plain network or a student's training graph with auxiliary heads: the
 * network being trained, how store rows become its labels, which label range each of its outputs reads, the store
 * columns it needs beyond the defaults, and how the plain model is exported from it. The one shape that the
 * teacher, the offline student, the baseline and every co-distilled model are trained through.
 *
 * @param trained    the network the round loop trains (its initial parameters)
 * @param exported   the plain network saved at the end (the same object as {@code trained} for a plain network)
 * @param rows       how a store row becomes the label vector
 * @param outputs    for each output of {@code trained}, in order, the names of the first and last label range it
 *                   reads (adjacent ranges)
 * @param tapColumns store columns of the teacher taps the labels include
 * @param formula    the objective, as printed in the log and recorded in provenance
 */
record StudentPlan(Network trained, MultiLayerNetwork exported, RowLabels rows, List<String[]> outputs,
                   List<String> tapColumns, String formula) {

    /** A plain network whose single output reads every label range. */
    static StudentPlan plain(MultiLayerNetwork net, RowLabels rows, String formula) {
        List<LabelLayout.Segment> s = rows.layout().segments();
        return new StudentPlan(Network.of(net), net, rows,
                List.<String[]>of(new String[]{s.get(0).name(), s.get(s.size() - 1).name()}), List.of(), formula);
    }

    LabelLayout layout() {
        return rows.layout();
    }

    /** The (offset, width) pairs of the outputs' label columns, as {@link TrainedModel} takes them. */
    int[] outputRanges() {
        int[] ranges = new int[2 * outputs.size()];
        for (int k = 0; k < outputs.size(); k++) {
            int[] span = layout().span(outputs.get(k)[0], outputs.get(k)[1]);
            ranges[2 * k] = span[0];
            ranges[2 * k + 1] = span[1];
        }
        return ranges;
    }

    /** The model as the workers train it, on every partition. */
    TrainedModel model(String name) {
        return new TrainedModel(name, trained.blueprint(), outputRanges(), new int[0]);
    }

    /** The exported plain network holding {@code state} (of the trained network). */
    MultiLayerNetwork export(ModelState state) {
        state.applyTo(trained);
        if (trained.model() instanceof ComputationGraph graph) {
            return TrainingGraph.export(graph, exported);
        }
        return exported;
    }
}
