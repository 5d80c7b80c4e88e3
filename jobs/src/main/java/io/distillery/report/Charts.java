package io.distillery.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The report's charts as PNG bytes, rendered with XChart on a headless AWT (no display on a cluster driver or in
 * CI). A chart with nothing to plot is not drawn: the methods return null and the page says why.
 */
final class Charts {
    static {
        // Before the first AWT class loads: a driver has no display, and the charts need none.
        System.setProperty("java.awt.headless", "true");
    }

    static final int WIDTH = 760;
    static final int HEIGHT = 420;

    /** One color per model, by its position in metrics.json, the same in every chart (Tableau 10). */
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private Charts() {
    }

    static Color color(int index) {
        return PALETTE[index % PALETTE.length];
    }

    /**
     * One line per model of an {@code history.json} column ({@code loss} or {@code heldOutAccuracy}) against the
     * epoch, with the kept epoch of each model marked by a diamond.
     */
    static byte[] learningCurves(List<ModelReport> models, String column, String title, String yTitle) {
        XYChart chart = xy(title, "epoch", yTitle);
        for (int i = 0; i < models.size(); i++) {
            ModelReport m = models.get(i);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            double keptY = Double.NaN;
            for (Map<String, Object> e : m.epochs()) {
                if (e.get(column) instanceof Number v && e.get("epoch") instanceof Number epoch) {
                    x.add(epoch.doubleValue());
                    y.add(v.doubleValue());
                    if (epoch.intValue() == m.keptEpoch()) {
                        keptY = v.doubleValue();
                    }
                }
            }
            if (x.isEmpty()) {
                continue;
            }
            XYSeries line = chart.addSeries(m.name(), x, y);
            line.setMarker(SeriesMarkers.CIRCLE);
            line.setLineColor(color(i));
            line.setMarkerColor(color(i));
            if (!Double.isNaN(keptY)) {
                XYSeries kept = chart.addSeries(m.name() + " (kept epoch)", new double[]{m.keptEpoch()},
                        new double[]{keptY});
                kept.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                kept.setMarker(SeriesMarkers.DIAMOND);
                kept.setMarkerColor(color(i));
                kept.setShowInLegend(false);
            }
        }
        return chart.getSeriesMap().isEmpty() ? null : png(chart);
    }

    /** Accuracy against mean confidence per non-empty confidence bin, per model, with the diagonal. */
    @SuppressWarnings("unchecked")
    static byte[] reliability(List<ModelReport> models) {
        XYChart chart = xy("Reliability diagram (test set)", "mean confidence in bin", "accuracy in bin");
        chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
        XYSeries diagonal = chart.addSeries("perfect calibration", new double[]{0, 1}, new double[]{0, 1});
        diagonal.setMarker(SeriesMarkers.NONE);
        diagonal.setLineColor(Color.GRAY);
        boolean any = false;
        for (int i = 0; i < models.size(); i++) {
            ModelReport m = models.get(i);
            if (!(m.metrics().get("reliability") instanceof List<?> bins)) {
                continue;
            }
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Object o : bins) {
                Map<String, Object> bin = (Map<String, Object>) o;
                if (bin.get("confidence") instanceof Number c && bin.get("accuracy") instanceof Number a) {
                    x.add(c.doubleValue());
                    y.add(a.doubleValue());
                }
            }
            if (!x.isEmpty()) {
                XYSeries line = chart.addSeries(m.name(), x, y);
                line.setMarker(SeriesMarkers.CIRCLE);
                line.setLineColor(color(i));
                line.setMarkerColor(color(i));
                any = true;
            }
        }
        return any ? png(chart) : null;
    }

    /** Test rows per confidence bin, per model: how much each point of the reliability diagram weighs. */
    @SuppressWarnings("unchecked")
    static byte[] confidenceCounts(List<ModelReport> models) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Test rows per confidence bin").xAxisTitle("confidence bin (upper bound)")
                .yAxisTitle("rows").build();
        style(chart.getStyler());
        chart.getStyler().setXAxisLabelRotation(45);
        for (int i = 0; i < models.size(); i++) {
            ModelReport m = models.get(i);
            if (!(m.metrics().get("reliability") instanceof List<?> bins) || bins.isEmpty()) {
                continue;
            }
            List<String> x = new ArrayList<>();
            List<Number> y = new ArrayList<>();
            for (Object o : bins) {
                Map<String, Object> bin = (Map<String, Object>) o;
                x.add(Html.number(bin.get("upper"), 2));
                y.add((Number) bin.get("count"));
            }
            chart.addSeries(m.name(), x, y).setFillColor(color(i));
        }
        return chart.getSeriesMap().isEmpty() ? null : png(chart);
    }

    /**
     * A scatter of sweep points with the Pareto front drawn as a line through its points.
     *
     * @param colors each point's color index (its model's position in metrics.json)
     * @param x     the cost or speed axis of every point
     * @param y     accuracy of every point
     * @param front indices of the points on the front
     * @param logX  a logarithmic x axis (parameters and rows per second span orders of magnitude)
     */
    static byte[] pareto(String title, String xTitle, List<String> names, List<Integer> colors, double[] x,
                         double[] y, List<Integer> front, boolean logX) {
        XYChart chart = xy(title, xTitle, "test accuracy");
        chart.getStyler().setXAxisLogarithmic(logX).setLegendPosition(Styler.LegendPosition.OutsideS);
        for (int i = 0; i < x.length; i++) {
            XYSeries p = chart.addSeries(names.get(i), new double[]{x[i]}, new double[]{y[i]});
            p.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            p.setMarker(front.contains(i) ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
            p.setMarkerColor(color(colors.get(i)));
        }
        double[] fx = front.stream().mapToDouble(i -> x[i]).toArray();
        double[] fy = front.stream().mapToDouble(i -> y[i]).toArray();
        if (fx.length > 0) {
            XYSeries line = chart.addSeries("Pareto front", fx, fy);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(Color.BLACK);
        }
        return png(chart);
    }

    private static XYChart xy(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        style(chart.getStyler());
        return chart;
    }

    private static void style(Styler styler) {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setMarkerSize(7);
        styler.setAntiAlias(true);
    }

    private static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot render the chart '" + chart.getTitle() + "'", e);
        }
    }
}
