package dev.quadrant.trainer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quadrant.device.UserInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsPlotTest {
    @TempDir
    Path dir;

    /** A fake run: loss decaying at {@code rate}, accuracy rising; strategy field only if given. */
    static Path fakeRun(Path file, String strategy, double rate, int epochs) throws IOException {
        try (MetricsWriter w = MetricsWriter.create(file)) {
            for (int e = 1; e <= epochs; e++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("epoch", e);
                if (strategy != null) {
                    row.put("strategy", strategy);
                }
                row.put("train_loss", 2.3 * Math.exp(-rate * e) + 0.05);
                row.put("test_loss", 2.3 * Math.exp(-rate * e * 0.9) + 0.09);
                row.put("test_accuracy", 0.97 - 0.87 * Math.exp(-rate * e));
                w.write(row);
            }
        }
        return file;
    }

    @Test
    void rendersTwoRunsAsPng() throws IOException {
        Path a = fakeRun(dir.resolve("allreduce.jsonl"), "allreduce", 0.45, 12);
        Path b = fakeRun(dir.resolve("hogwild-run.jsonl"), null, 0.3, 12);
        Path png = dir.resolve("curves.png");
        MetricsPlot.render(List.of(a, b), png);
        if (System.getProperty("quadrant.plot.keep") != null) {
            Files.copy(png, Path.of(System.getProperty("quadrant.plot.keep")),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(MetricsPlot.DEFAULT_WIDTH, image.getWidth());
        assertEquals(MetricsPlot.DEFAULT_HEIGHT, image.getHeight());
        // both runs' colours are drawn in both panels
        int half = image.getWidth() / 2;
        for (int color : new int[] {0x1f77b4, 0xff7f0e}) {
            assertTrue(count(image, 0, half, color) > 200, "left panel lacks colour " + Integer.toHexString(color));
            assertTrue(count(image, half, image.getWidth(), color) > 100,
                    "right panel lacks colour " + Integer.toHexString(color));
        }
    }

    private static int count(BufferedImage image, int x0, int x1, int rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = x0; x < x1; x++) {
                if ((image.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void legendIsStrategyElseFileName() throws IOException {
        Path a = fakeRun(dir.resolve("a.jsonl"), "gossip", 0.4, 2);
        Path b = fakeRun(dir.resolve("b.jsonl"), null, 0.4, 2);
        assertEquals("gossip", MetricsPlot.label(a, MetricsReader.read(a)));
        assertEquals("b.jsonl", MetricsPlot.label(b, MetricsReader.read(b)));
    }

    @Test
    void xAxisIsEpochThenStepThenRecordNumber() {
        var byEpoch = List.of(new MetricsPlot.Run("r", List.of(
                Map.of("epoch", 1L, "step", 10L, "train_loss", 1.0), Map.of("epoch", 2L, "step", 20L, "train_loss", 0.5))));
        assertEquals("epoch", MetricsPlot.xKey(byEpoch, List.of("train_loss")));
        var byStep = List.of(new MetricsPlot.Run("r", List.of(
                Map.of("epoch", 1L, "step", 10L, "train_loss", 1.0), Map.of("epoch", 1L, "step", 20L, "train_loss", 0.5))));
        assertEquals("step", MetricsPlot.xKey(byStep, List.of("train_loss")));
        var neither = List.of(new MetricsPlot.Run("r", List.of(Map.of("train_loss", 1.0), Map.of("train_loss", 0.5))));
        assertNull(MetricsPlot.xKey(neither, List.of("train_loss")));
        List<MetricsPlot.Curve> curves = MetricsPlot.curves(neither, List.of("train_loss", "test_loss"), null);
        assertEquals(1, curves.size(), "a metric with no values gives no curve");
        assertEquals(2.0, curves.get(0).x()[1]);
    }

    @Test
    void nullValuesAreSkipped() {
        Map<String, Object> nan = new LinkedHashMap<>();
        nan.put("epoch", 2L);
        nan.put("train_loss", null);
        var runs = List.of(new MetricsPlot.Run("r", List.of(Map.of("epoch", 1L, "train_loss", 1.0), nan,
                Map.of("epoch", 3L, "train_loss", 0.2))));
        MetricsPlot.Curve c = MetricsPlot.curves(runs, List.of("train_loss"), "epoch").get(0);
        assertEquals(List.of(1.0, 3.0), List.of(c.x()[0], c.x()[1]));
        assertEquals(2, c.y().length);
    }

    @Test
    void onlyLossStillRendersWithAnEmptyAccuracyPanel() throws IOException {
        Path f = dir.resolve("loss-only.jsonl");
        Files.writeString(f, "{\"epoch\":1,\"train_loss\":1.5}\n{\"epoch\":2,\"train_loss\":0.9}\n");
        Path png = dir.resolve("out.png");
        MetricsPlot.render(List.of(f), png, 800, 400);
        assertEquals(800, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void refusesFilesWithoutAnyPlottedMetric() throws IOException {
        Path f = dir.resolve("other.jsonl");
        Files.writeString(f, "{\"epoch\":1,\"lr\":0.1}\n");
        UserInputException e = assertThrows(UserInputException.class,
                () -> MetricsPlot.render(List.of(f), dir.resolve("x.png")));
        assertTrue(e.getMessage().contains("keys found: epoch, lr"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("x.png")));
        assertThrows(UserInputException.class, () -> MetricsPlot.render(List.of(), dir.resolve("x.png")));
    }

    /** Issue 13 item 16: a huge image is refused before anything is allocated. */
    @Test
    void hugeImagesAreRefused() throws IOException {
        Path f = fakeRun(dir.resolve("a.jsonl"), "allreduce", 0.4, 3);
        for (int[] size : new int[][] {{100_000, 600}, {1600, 2_000_000_000}, {8000, 8000}}) {
            UserInputException e = assertThrows(UserInputException.class,
                    () -> MetricsPlot.render(List.of(f), dir.resolve("x.png"), size[0], size[1]));
            assertTrue(e.getMessage().contains("is outside the range"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x.png")));
    }

    /** Issue 13 item 10: a long file is streamed and downsampled evenly, its last record kept, its x axis exact. */
    @Test
    void longFilesAreDownsampledAsTheyAreStreamed() throws IOException {
        Path f = dir.resolve("long.jsonl");
        int n = 3 * MetricsPlot.MAX_POINTS + 17;
        try (java.io.BufferedWriter w = Files.newBufferedWriter(f)) {
            for (int i = 1; i <= n; i++) {
                w.write("{\"step\":" + i + ",\"train_loss\":" + (1.0 / i) + "}\n");
            }
            w.write("{\"step\":5,\"train_loss\":0.1}\n"); // the step goes back once: not an x axis
        }
        MetricsPlot.Run run = MetricsPlot.readRun(f, new java.util.LinkedHashSet<>());
        assertTrue(run.rows().size() <= MetricsPlot.MAX_POINTS + 1, "kept " + run.rows().size());
        assertTrue(run.rows().size() >= MetricsPlot.MAX_POINTS / 2, "kept " + run.rows().size());
        assertEquals(1L, run.rows().get(0).get("step"));
        assertEquals((long) n + 1, run.rows().get(run.rows().size() - 1).get(MetricsPlot.RECORD));
        assertFalse(run.increasing().get("train_loss").contains("step"), "the full file decides, not the sample");
        Path png = dir.resolve("long.png");
        MetricsPlot.render(List.of(f), png, 800, 400);
        assertTrue(Files.size(png) > 0);
    }
}
