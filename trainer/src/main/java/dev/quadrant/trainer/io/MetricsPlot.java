package dev.quadrant.trainer.io;

import dev.quadrant.device.UserInputException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the learning curves of one or more metrics files ({@link MetricsWriter}) into one PNG: the {@code quadrant
 * plot} command.
 *
 * <p>Two panels side by side: {@code train_loss} (solid) and {@code test_loss} (dashed) on the left,
 * {@code test_accuracy} on the right. Each file is one colour; its legend label is the file's {@code strategy} field
 * if it has one, else the file name. The x axis is {@code epoch} if every plotted row has one and it increases
 * within each curve, else {@code step} under the same rule, else the record number. Rows whose value is missing or
 * {@code null} (NaN when written) are skipped. A panel with no values says so instead of drawing empty axes.
 *
 * <pre>{@code
 * MetricsPlot.render(List.of(Path.of("runs/allreduce.jsonl"), Path.of("runs/hogwild.jsonl")), Path.of("curves.png"));
 * }</pre>
 *
 * <p>Runs headless: {@code java.awt.headless} is set to {@code true} when this class loads unless the property was
 * already set. The PNG is written through {@link AtomicFiles}. Thread-safety: stateless; concurrent calls are
 * independent.
 */
public final class MetricsPlot {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    public static final int DEFAULT_WIDTH = 1600;
    public static final int DEFAULT_HEIGHT = 600;

    /** Distinct colours for the files, in order (the "tab10" palette). */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };
    private static final List<String> X_KEYS = List.of("epoch", "step");
    private static final int MARKER_LIMIT = 60;

    private MetricsPlot() {}

    /**
     * One metrics file: its legend label, its records (at most {@link #MAX_POINTS} plus the last, evenly spaced, each
     * carrying its record number under {@link #RECORD}), and for each plotted metric the x keys that increase strictly
     * over every record of the file ({@code null}: decide from {@code rows}).
     */
    record Run(String label, List<Map<String, Object>> rows, Map<String, Set<String>> increasing) {
        Run(String label, List<Map<String, Object>> rows) {
            this(label, rows, null);
        }
    }

    /** The largest image side, and the largest pixel count (a 4-byte pixel each: 64 MiB). */
    public static final int MAX_SIDE = 8192;
    public static final long MAX_PIXELS = 16L << 20;
    /** Records kept per file for drawing; a longer file is downsampled evenly (a curve has no more pixels anyway). */
    static final int MAX_POINTS = 4000;
    /** The key under which a kept row carries its 1-based record number. */
    static final String RECORD = "\u0000record";
    private static final List<String> METRICS = List.of("train_loss", "test_loss", "test_accuracy");
    private static final int MAX_KEYS_LISTED = 40;

    /** One line of a panel. */
    record Curve(String name, Color color, boolean dashed, double[] x, double[] y) {}

    /** {@link #render(List, Path, int, int)} at {@link #DEFAULT_WIDTH} x {@link #DEFAULT_HEIGHT}. */
    public static void render(List<Path> metricsFiles, Path outPng) throws IOException {
        render(metricsFiles, outPng, DEFAULT_WIDTH, DEFAULT_HEIGHT);
    }

    /**
     * Reads {@code metricsFiles} and writes their curves to {@code outPng}.
     *
     * @throws UserInputException if no file is given, the size is below 400 x 300, a file is malformed
     *     ({@link MetricsFormatException}) or no file has any of the plotted metrics
     * @throws IOException if a file cannot be read or the PNG cannot be written
     */
    public static void render(List<Path> metricsFiles, Path outPng, int width, int height) throws IOException {
        if (metricsFiles.isEmpty()) {
            throw new UserInputException("plot: no metrics files given; expected one or more .jsonl files");
        }
        if (width < 400 || height < 300 || width > MAX_SIDE || height > MAX_SIDE || (long) width * height > MAX_PIXELS) {
            throw new UserInputException("plot: image size " + width + "x" + height + " is outside the range: --width "
                    + "and --height from 400x300 up to " + MAX_SIDE + " each and " + MAX_PIXELS + " pixels in all "
                    + "(e.g. 4096x4096)");
        }
        List<Run> runs = new ArrayList<>();
        Set<String> labels = new HashSet<>();
        Set<String> keys = new LinkedHashSet<>();
        boolean any = false;
        for (Path file : metricsFiles) {
            Run run = readRun(file, keys);
            String label = run.label();
            if (!labels.add(label)) {
                label = label + " [" + file + "]";
                labels.add(label);
            }
            runs.add(new Run(label, run.rows(), run.increasing()));
            any |= hasAny(List.of(run), METRICS);
        }
        if (!any) {
            throw new UserInputException("plot: no train_loss, test_loss or test_accuracy values in "
                    + metricsFiles + "; keys found: " + (keys.isEmpty() ? "none" : String.join(", ", keys)));
        }
        BufferedImage image = draw(runs, width, height);
        AtomicFiles.write(outPng, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("this Java runtime has no PNG encoder");
            }
        });
    }

    /** Draws both panels of {@code runs} into one image. */
    static BufferedImage draw(List<Run> runs, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            int left = width / 2;
            panel(g, 0, left, height, "Loss  (solid: train, dashed: test)", "loss", Styler.LegendPosition.InsideNE,
                    runs, List.of("train_loss", "test_loss"));
            panel(g, left, width - left, height, "Test accuracy", "accuracy", Styler.LegendPosition.InsideSE,
                    runs, List.of("test_accuracy"));
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void panel(Graphics2D g, int x0, int w, int h, String title, String yTitle,
                              Styler.LegendPosition legend, List<Run> runs, List<String> metrics) {
        String xKey = xKey(runs, metrics);
        List<Curve> curves = curves(runs, metrics, xKey);
        Graphics2D sub = (Graphics2D) g.create(x0, 0, w, h);
        try {
            if (curves.isEmpty()) {
                empty(sub, w, h, title, "no " + String.join(" or ", metrics) + " values in these files");
                return;
            }
            XYChart chart = new XYChartBuilder().width(w).height(h).title(title)
                    .xAxisTitle(xKey == null ? "record" : xKey).yAxisTitle(yTitle).build();
            style(chart.getStyler(), legend);
            if (curves.stream().allMatch(c -> java.util.Arrays.stream(c.x()).allMatch(v -> v == Math.rint(v)))) {
                // epochs, steps, record numbers: label whole numbers only, without digit grouping
                chart.getStyler().setxAxisTickLabelsFormattingFunction(
                        v -> v == Math.rint(v) ? String.valueOf(v.longValue()) : "");
            }
            for (Curve c : curves) {
                XYSeries s = chart.addSeries(c.name(), c.x(), c.y());
                s.setLineColor(c.color());
                s.setMarkerColor(c.color());
                s.setLineStyle(c.dashed() ? new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                        new float[] {8f, 5f}, 0f) : new BasicStroke(2.2f));
                s.setMarker(c.x().length <= MARKER_LIMIT ? (c.dashed() ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE)
                        : SeriesMarkers.NONE);
            }
            chart.paint(sub, w, h);
        } finally {
            sub.dispose();
        }
    }

    private static void style(XYStyler st, Styler.LegendPosition legend) {
        st.setLegendPosition(legend);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotBorderColor(new Color(0x999999));
        st.setPlotGridLinesColor(new Color(0xe4e4e4));
        st.setLegendBorderColor(new Color(0xbbbbbb));
        st.setLegendBackgroundColor(new Color(255, 255, 255, 230));
        st.setChartTitleBoxVisible(false);
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        st.setLegendSeriesLineLength(36);
        st.setXAxisTickMarkSpacingHint(110); // long step numbers must not run into each other
        st.setChartPadding(14);
        st.setLocale(Locale.ROOT);
        st.setAntiAlias(true);
        st.setMarkerSize(7);
    }

    private static void empty(Graphics2D g, int w, int h, String title, String message) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        FontMetrics fm = g.getFontMetrics();
        g.drawString(title, (w - fm.stringWidth(title)) / 2, 34);
        g.setColor(new Color(0x666666));
        g.setFont(new Font(Font.SANS_SERIF, Font.ITALIC, 15));
        fm = g.getFontMetrics();
        g.drawString(message, Math.max(8, (w - fm.stringWidth(message)) / 2), h / 2);
        g.setColor(new Color(0xbbbbbb));
        g.drawRect(20, 50, w - 40, h - 70);
    }

    /**
     * Streams one file ({@link MetricsReader#stream}): keeps every {@code stride}-th record, doubling the stride
     * (and dropping every other kept record) whenever {@link #MAX_POINTS} are held, plus the last record; records for
     * each metric whether each x key increases over all its records. Memory is bounded whatever the file's length.
     * Adds the keys seen to {@code keys} (the first {@value #MAX_KEYS_LISTED}).
     */
    static Run readRun(Path file, Set<String> keys) throws IOException {
        List<Map<String, Object>> kept = new ArrayList<>();
        long[] stride = {1};
        Object[] last = {null};
        String[] strategy = {null};
        Map<String, Set<String>> increasing = new java.util.LinkedHashMap<>();
        Map<String, double[]> previous = new java.util.HashMap<>(); // metric -> last x per key
        for (String m : METRICS) {
            increasing.put(m, new LinkedHashSet<>(X_KEYS));
            double[] p = new double[X_KEYS.size()];
            java.util.Arrays.fill(p, Double.NEGATIVE_INFINITY);
            previous.put(m, p);
        }
        MetricsReader.stream(file, (row, line, end, terminated) -> {
            for (String k : row.keySet()) {
                if (keys.size() >= MAX_KEYS_LISTED) {
                    break;
                }
                keys.add(k);
            }
            if (strategy[0] == null && row.get("strategy") instanceof String st) {
                strategy[0] = st;
            }
            for (String m : METRICS) {
                if (Double.isNaN(number(row.get(m)))) {
                    continue;
                }
                double[] p = previous.get(m);
                for (int k = 0; k < X_KEYS.size(); k++) {
                    double x = number(row.get(X_KEYS.get(k)));
                    if (!(x > p[k])) {
                        increasing.get(m).remove(X_KEYS.get(k));
                    }
                    p[k] = x;
                }
            }
            Map<String, Object> small = new java.util.LinkedHashMap<>();
            small.put(RECORD, line);
            for (String k : X_KEYS) {
                small.put(k, row.get(k));
            }
            for (String m : METRICS) {
                small.put(m, row.get(m));
            }
            last[0] = small;
            if ((line - 1) % stride[0] == 0) {
                kept.add(small);
                if (kept.size() >= MAX_POINTS) {
                    List<Map<String, Object>> half = new ArrayList<>();
                    for (int i = 0; i < kept.size(); i += 2) {
                        half.add(kept.get(i));
                    }
                    kept.clear();
                    kept.addAll(half);
                    stride[0] *= 2;
                }
            }
            return true;
        });
        if (last[0] != null && (kept.isEmpty() || kept.get(kept.size() - 1) != last[0])) {
            @SuppressWarnings("unchecked")
            Map<String, Object> l = (Map<String, Object>) last[0];
            kept.add(l);
        }
        return new Run(strategy[0] != null ? strategy[0] : String.valueOf(file.getFileName()), kept, increasing);
    }

    /** The file's {@code strategy} (first string value) or its file name. */
    static String label(Path file, List<Map<String, Object>> rows) {
        for (Map<String, Object> row : rows) {
            if (row.get("strategy") instanceof String) {
                return (String) row.get("strategy");
            }
        }
        return String.valueOf(file.getFileName());
    }

    /**
     * The first of {@code epoch}, {@code step} that every plotted row carries as a finite number, strictly increasing
     * within each curve; null (plot against the record number) if neither qualifies.
     */
    static String xKey(List<Run> runs, List<String> metrics) {
        for (String key : X_KEYS) {
            boolean ok = true;
            for (Run run : runs) {
                if (run.increasing() != null) {
                    for (String metric : metrics) {
                        ok &= run.increasing().getOrDefault(metric, Set.of()).contains(key);
                    }
                    continue;
                }
                for (String metric : metrics) {
                    double previous = Double.NEGATIVE_INFINITY;
                    for (Map<String, Object> row : run.rows()) {
                        if (Double.isNaN(number(row.get(metric)))) {
                            continue;
                        }
                        double x = number(row.get(key));
                        ok &= x > previous; // false for NaN too
                        previous = x;
                    }
                }
            }
            if (ok) {
                return key;
            }
        }
        return null;
    }

    /** The curves of {@code metrics} against {@code xKey} (null: record number), one per run and metric. */
    static List<Curve> curves(List<Run> runs, List<String> metrics, String xKey) {
        List<Curve> curves = new ArrayList<>();
        for (int r = 0; r < runs.size(); r++) {
            Run run = runs.get(r);
            for (int m = 0; m < metrics.size(); m++) {
                String metric = metrics.get(m);
                double[] xs = new double[run.rows().size()];
                double[] ys = new double[run.rows().size()];
                int n = 0;
                for (int i = 0; i < run.rows().size(); i++) {
                    Map<String, Object> row = run.rows().get(i);
                    double y = number(row.get(metric));
                    if (!Double.isNaN(y)) {
                        xs[n] = xKey != null ? number(row.get(xKey))
                                : row.get(RECORD) instanceof Number rec ? rec.doubleValue() : i + 1;
                        ys[n++] = y;
                    }
                }
                if (n > 0) {
                    String name = metrics.size() == 1 ? run.label()
                            : run.label() + " " + metric.substring(0, metric.indexOf('_'));
                    curves.add(new Curve(name, PALETTE[r % PALETTE.length], m > 0,
                            java.util.Arrays.copyOf(xs, n), java.util.Arrays.copyOf(ys, n)));
                }
            }
        }
        return curves;
    }

    private static boolean hasAny(List<Run> runs, List<String> metrics) {
        return runs.stream().anyMatch(r -> r.rows().stream()
                .anyMatch(row -> metrics.stream().anyMatch(m -> !Double.isNaN(number(row.get(m))))));
    }

    /** A finite number's value, else NaN. */
    private static double number(Object o) {
        if (o instanceof Number) {
            double d = ((Number) o).doubleValue();
            return Double.isFinite(d) ? d : Double.NaN;
        }
        return Double.NaN;
    }
}
