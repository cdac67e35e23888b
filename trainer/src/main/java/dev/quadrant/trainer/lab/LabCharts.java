package dev.quadrant.trainer.lab;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts (XChart PNGs): step time and speed-up against N (dashed lines: the model, dots: measured), and
 * the Paleo ratio per profile.
 */
final class LabCharts {
    static final int WIDTH = 900;
    static final int HEIGHT = 560;
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    private static final List<String> RUN_STRATEGIES = List.of("allreduce", "ps", "hogwild", "gossip");

    private LabCharts() {}

    /**
     * Predicted (line) and measured (markers) values against N on this machine, one colour per strategy:
     * {@code speedup} false draws step time in ms, true the speed-up in samples/s over N = 1.
     */
    static void machine(LabResult r, CostModel here, boolean speedup, Path file) throws IOException {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title((speedup ? "Speed-up" : "Step time") + " on this machine: " + r.options().model + ", batch "
                        + r.options().batch)
                .xAxisTitle("replicas N").yAxisTitle(speedup ? "samples/s over N = 1" : "ms per step").build();
        style(c);
        List<Integer> ns = new ArrayList<>();
        r.measured().forEach(m -> { if (!ns.contains(m.n())) { ns.add(m.n()); } });
        double base = r.measured(RUN_STRATEGIES.get(0), 1) == null ? Double.NaN
                : r.measured(RUN_STRATEGIES.get(0), 1).samplesPerSecond();
        double predictedBase = here.predict(ModelStrategy.ALLREDUCE_RING, 1, r.options().batch,
                CostModel.Scaling.STRONG).samplesPerSecond();
        int k = 0;
        for (String s : RUN_STRATEGIES) {
            double[] x = ns.stream().mapToDouble(Integer::doubleValue).toArray();
            double[] pred = new double[x.length];
            double[] meas = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                CostModel.Prediction p = here.predict(ns.get(i) == 1 ? ModelStrategy.ALLREDUCE_RING : Lab.forRun(s),
                        ns.get(i), r.options().batch, CostModel.Scaling.STRONG);
                LabResult.Measured m = r.measured(s, ns.get(i));
                pred[i] = speedup ? p.samplesPerSecond() / predictedBase : p.stepSeconds() * 1e3;
                meas[i] = m == null ? Double.NaN : speedup ? m.samplesPerSecond() / base : m.stepSeconds() * 1e3;
            }
            Color colour = COLOURS[k++ % COLOURS.length];
            XYSeries line = c.addSeries(s + " model", x, pred);
            line.setLineColor(colour);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f,
                    new float[] {6f, 4f}, 0f));
            XYSeries dots = c.addSeries(s + " measured", x, meas);
            dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            dots.setMarker(SeriesMarkers.CIRCLE);
            dots.setMarkerColor(colour);
        }
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Predicted step-time ratio ps / ring all-reduce against N per profile (strong scaling), with the line at 5. */
    static void paleo(LabResult r, Path file) throws IOException {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("ps step / ring all-reduce step, strong scaling: " + r.options().model + ", batch "
                        + r.options().batch)
                .xAxisTitle("replicas N").yAxisTitle("ps step / all-reduce step").build();
        style(c);
        c.getStyler().setXAxisLogarithmic(true);
        int k = 0;
        double[] fiveX = {1, Lab.MAX_PREDICTED};
        for (var e : r.predictions().entrySet()) {
            List<CostModel.Prediction> ps = e.getValue().get(CostModel.Scaling.STRONG);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int n = 1; n <= Lab.MAX_PREDICTED; n *= 2) {
                x.add((double) n);
                y.add(LabReport.ratio(ps, n));
            }
            XYSeries s = c.addSeries(e.getKey().name(), x, y);
            s.setLineColor(COLOURS[k % COLOURS.length]);
            s.setMarkerColor(COLOURS[k++ % COLOURS.length]);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        XYSeries five = c.addSeries("5x", fiveX, new double[] {5, 5});
        five.setLineColor(Color.GRAY);
        five.setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void style(XYChart c) {
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);  // never over a point
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotGridLinesVisible(true);
        c.getStyler().setMarkerSize(9);
        c.getStyler().setDecimalPattern("#,##0.##");
    }
}
