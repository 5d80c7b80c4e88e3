package io.distillery.config;

import com.typesafe.config.Config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The student-size sweep ({@code distill sweep}): the configured student scaled by each width factor and cut to or
 * extended to each depth, every combination distilled from one soft-target store.
 *
 * @param path   directory of the sweep's students and its evaluation
 * @param widths factors on every hidden layer's units
 * @param depths numbers of weight layers; empty for the student's own
 */
public record SweepSpec(String path, List<Double> widths, List<Integer> depths) {

    /**
     * One student size of the sweep.
     *
     * @param name   {@code w<width>-d<depth>}, its name in metrics.json and its directory under the sweep path
     * @param width  its width factor
     * @param depth  its number of weight layers
     * @param layers its hidden layers
     */
    public record Point(String name, double width, int depth, List<LayerSpec> layers) {
    }

    static SweepSpec from(Config c, ConfigProblems problems) {
        List<Double> widths = List.copyOf(c.getDoubleList("widths"));
        List<Integer> depths = List.copyOf(c.getIntList("depths"));
        problems.check(!widths.isEmpty() && widths.stream().allMatch(w -> w > 0 && Double.isFinite(w)),
                "Key distillery.sweep.widths is " + widths + "; list one or more positive factors.");
        problems.check(depths.stream().allMatch(d -> d >= 1),
                "Key distillery.sweep.depths is " + depths + "; every depth must be at least 1 weight layer.");
        return new SweepSpec(c.getString("path"), widths, depths);
    }

    /** Every size of the grid for {@code student}, widths outer, depths inner; duplicates (same name) once. */
    public List<Point> points(ModelSpec student) {
        List<Integer> ds = depths.isEmpty() ? List.of(weightLayers(student.layers())) : depths;
        Map<String, Point> points = new LinkedHashMap<>();
        for (double w : widths) {
            for (int d : ds) {
                String name = "w" + BigDecimal.valueOf(w).stripTrailingZeros().toPlainString() + "-d" + d;
                List<LayerSpec> layers = new ArrayList<>();
                for (LayerSpec l : atDepth(student.layers(), d)) {
                    layers.add(l.widened(w));
                }
                points.putIfAbsent(name, new Point(name, w, d, List.copyOf(layers)));
            }
        }
        return List.copyOf(points.values());
    }

    /** Path of a point's student artifact. */
    public String pointPath(Point p) {
        return path + "/" + p.name();
    }

    /** Path of the sweep's evaluation (metrics.json, report.html). */
    public String evaluationPath() {
        return path + "/evaluation";
    }

    private static int weightLayers(List<LayerSpec> layers) {
        return (int) layers.stream().filter(l -> !l.type().equals("pool")).count();
    }

    /**
     * The layers up to the {@code depth}-th weight layer (pooling after a kept layer stays, as
     * {@link ModelSpec#deriveFrom} cuts), or all of them and
     * then copies of the last weight layer, named {@code <name>-<k>}, until there are {@code depth}.
     */
    static List<LayerSpec> atDepth(List<LayerSpec> layers, int depth) {
        List<LayerSpec> out = new ArrayList<>();
        int kept = 0;
        LayerSpec last = null;
        for (LayerSpec l : layers) {
            if (!l.type().equals("pool")) {
                if (kept == depth) {
                    break;
                }
                kept++;
                last = l;
            }
            out.add(l);
        }
        for (int k = 2; kept < depth && last != null; k++, kept++) {
            out.add(new LayerSpec(last.type(), last.name() + "-" + k, last.units(), last.kernel(), last.stride(),
                    last.activation(), last.dropout()));
        }
        return out;
    }
}
