package dev.quadrant.trainer.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.quadrant.device.UserInputException;

/** The lab end to end on a tiny model: it measures, runs every strategy, predicts and writes a sane report. */
class LabTest {
    @TempDir
    Path dir;

    @Test
    void runsEveryStrategyAndWritesTheReport() throws Exception {
        LabOptions o = new LabOptions();
        o.model = "mlp:32";
        o.data = "synthetic:32x4x2000";
        o.batch = 16;
        o.devices = "cpu:1,2";
        o.threads = 2;
        o.steps = 6;
        o.warmup = 2;
        o.reps = 3;
        o.out = dir.resolve("report");
        Path profile = dir.resolve("mine.yaml");
        Files.writeString(profile, "name: my-links\nalpha_seconds: 1e-6\nbandwidth_bytes_per_second: 1e9\n");
        o.profile = profile;
        LabResult r = Lab.run(o);

        // P of mlp:32 on 32 features, 4 classes: 32*32 + 32 + 32*4 + 4
        assertEquals(1188, r.parameters());
        assertEquals(1188, java.util.Arrays.stream(r.buckets()).sum());
        assertEquals(5, r.measured().size(), "single x1 and the four strategies x2");
        for (LabResult.Measured m : r.measured()) {
            assertTrue(m.stepSeconds() > 0 && m.stepSeconds() < 1, m.toString());
            assertTrue(Double.isFinite(m.trainLoss()) && Double.isFinite(m.testLoss()), m.toString());
        }
        assertEquals(2.0 * 1188 * 4, r.measured("ps", 2).bytesMovedPerStep());
        assertEquals(5, r.errors().size());
        for (LabResult.ErrorRow e : r.errors()) {
            assertTrue(e.predictedSeconds() > 0 && Double.isFinite(e.error()), e.toString());
        }
        assertEquals(HardwareProfile.named().size() + 1, r.predictions().size());
        assertTrue(r.predictions().keySet().stream().anyMatch(p -> p.name().equals("my-links")));

        Path out = o.out;
        for (String f : List.of("summary.md", "errors.csv", "errors.md", "measured.csv", "predictions.csv",
                "machine.json", "step-time.png", "speedup.png", "paleo.png")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        List<String> csv = Files.readAllLines(out.resolve("errors.csv"));
        assertEquals(6, csv.size(), "a header and one row per measured point: " + csv);
        assertTrue(csv.get(0).startsWith("strategy,replicas,predicted_ms,measured_ms,error"), csv.get(0));
        assertTrue(csv.stream().anyMatch(l -> l.startsWith("ps,2,")), csv.toString());
        // predictions: 8 profiles x 2 scalings x 11 replica counts x 5 strategies, and a header
        assertEquals(1 + 8 * 2 * 11 * 5, Files.readAllLines(out.resolve("predictions.csv")).size());
        String summary = Files.readString(out.resolve("summary.md"));
        for (String s : List.of("Paleo's claim", "nvlink-8gpu", "eth-25g", "my-links", "holds from N",
                "Where each strategy wins", "load average")) {
            assertTrue(summary.contains(s), "summary lacks '" + s + "':\n" + summary);
        }
        Map<?, ?> machine = new ObjectMapper().readValue(out.resolve("machine.json").toFile(), Map.class);
        Map<?, ?> allReduce = (Map<?, ?>) ((Map<?, ?>) machine.get("collectives")).get("all_reduce");
        assertTrue(allReduce.containsKey("n2"), machine.toString());
        BufferedImage png = ImageIO.read(out.resolve("step-time.png").toFile());
        assertEquals(LabCharts.WIDTH, png.getWidth());
        assertEquals(LabCharts.HEIGHT, png.getHeight());
    }

    @Test
    void refusesBadOptionsBeforeMeasuring() {
        LabOptions o = new LabOptions();
        o.out = dir.resolve("never");
        o.devices = "cpu:2,1";
        UserInputException e = assertThrows(UserInputException.class, () -> Lab.run(o));
        assertTrue(e.getMessage().contains("--devices 'cpu:2,1'") && e.getMessage().contains("increasing"),
                e.getMessage());
        o.devices = "cpu:2,4";
        e = assertThrows(UserInputException.class, () -> Lab.run(o));
        assertTrue(e.getMessage().contains("first replica count must be 1") && e.getMessage().contains("cpu:1,2,4"),
                e.getMessage());
        o.devices = "cpu:1,2,4";
        o.batch = 2;
        e = assertThrows(UserInputException.class, () -> Lab.run(o));
        assertTrue(e.getMessage().contains("--batch 2") && e.getMessage().contains("4"), e.getMessage());
        assertTrue(!Files.exists(o.out));
    }
}
