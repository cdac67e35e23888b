package dev.quadrant.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.data.DataSpec;
import dev.quadrant.trainer.data.DataSplit;

/** --val-fraction holds out a validation set that evaluations score as val_*; --early-stop watches it and stops cleanly. */
class ValidationSplitTest {

    @TempDir
    Path dir;

    private static DataSplit synthetic() {
        return DataSpec.parse("synthetic:6x3x100").load(3, -1, 0.1, 0);
    }

    @Test
    void holdOutIsTheLastFractionOfTheTrainingSamples() {
        DataSplit all = synthetic();
        DataSplit split = all.holdOut(0.2);
        assertEquals(80, split.train().size());
        assertEquals(20, split.validation().size());
        assertEquals(all.test().size(), split.test().size(), "the test set is untouched");
        float[] a = new float[6];
        float[] b = new float[6];
        int[] la = new int[1];
        int[] lb = new int[1];
        for (long i : new long[] {0, 7, 19}) {
            split.validation().gather(0, new long[] {i}, 0, 1, a);
            all.train().gather(0, new long[] {80 + i}, 0, 1, b);
            assertArrayEquals(b, a, "validation sample " + i + " is training sample " + (80 + i));
            split.validation().gather(1, new long[] {i}, 0, 1, la);
            all.train().gather(1, new long[] {80 + i}, 0, 1, lb);
            assertArrayEquals(lb, la);
        }
        split.train().gather(0, new long[] {79}, 0, 1, a);
        all.train().gather(0, new long[] {79}, 0, 1, b);
        assertArrayEquals(b, a);
        assertThrows(IndexOutOfBoundsException.class, () -> split.train().gather(0, new long[] {80}, 0, 1, new float[6]));
        assertEquals(all, all.holdOut(0), "0 holds out nothing");
    }

    @Test
    void holdOutRefusesWhatCannotBeSplit() throws Exception {
        DataSplit all = synthetic();
        for (double f : new double[] {-0.1, 1, 1.5, Double.NaN, 0.001}) {
            UserInputException e = assertThrows(UserInputException.class, () -> all.holdOut(f), "fraction " + f);
            assertTrue(e.getMessage().contains("--val-fraction"), e.getMessage());
        }
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "to be or not to be, that is the question. ".repeat(50));
        DataSplit lm = DataSpec.parse("text:" + text).load(1, -1, 0.1, 8);
        UserInputException e = assertThrows(UserInputException.class, () -> lm.holdOut(0.1));
        assertTrue(e.getMessage().contains("own validation split"), e.getMessage());
    }

    private static TrainOptions options() {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:12x3x600";
        o.model = "mlp:16";
        o.epochs = 30;
        o.batch = 32;
        o.lr = 0.05f;
        o.devices = "cpu:1";
        o.threads = 1;
        o.valFraction = 0.25;
        return o;
    }

    @Test
    void evaluationsScoreValidationAndTestSeparately() {
        TrainOptions o = options();
        o.epochs = 2;
        TrainResult r = Training.run(o, List.of());
        Map<String, Object> eval = r.last().eval();
        for (String k : new String[] {"val_loss", "val_accuracy", "test_loss", "test_accuracy"}) {
            assertTrue(eval.containsKey(k), k + " in " + eval);
        }
        assertTrue(!eval.get("val_loss").equals(eval.get("test_loss")), "two different sets: " + eval);
        // 600 * 0.75 = 450 training samples, 15 steps of 32 (the last one short) per epoch
        assertEquals(2 * 15, r.steps());
    }

    @Test
    void earlyStoppingStopsCleanlyAndSaves() throws Exception {
        TrainOptions o = options();
        o.earlyStop = 2;
        o.save = dir.resolve("m.safetensors");
        o.metrics = dir.resolve("m.jsonl");
        List<Double> val = new ArrayList<>();
        TrainResult r = Training.run(o, List.of(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                val.add(m.number("val_loss"));
            }
        }));
        int n = val.size();
        assertTrue(n < 30, "stopped before the 30 epochs: " + n + " evaluations");
        double best = val.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        assertTrue(val.get(n - 1) >= best && val.get(n - 2) >= best, "the last two did not improve: " + val);
        assertTrue(val.subList(0, n - 2).contains(best), "the best came before them: " + val);
        assertTrue(Files.size(o.save) > 0, "--save written at the stop");
        assertEquals(n, Files.readAllLines(o.metrics).size(), "one metrics line per evaluation");
        assertEquals(n, r.epochs().size());
    }

    @Test
    void earlyStoppingRefusesTheTestSetAndAMissingValidationSet() {
        TrainOptions o = options();
        o.earlyStop = 2;
        o.earlyStopMetric = "test_loss";
        UserInputException e = assertThrows(UserInputException.class, () -> Training.run(o, List.of()));
        assertTrue(e.getMessage().contains("val_loss"), e.getMessage());
        TrainOptions p = options();
        p.earlyStop = 2;
        p.valFraction = 0;
        e = assertThrows(UserInputException.class, () -> Training.run(p, List.of()));
        assertTrue(e.getMessage().contains("--val-fraction"), e.getMessage());
        assertThrows(UserInputException.class, () -> new EarlyStopping("val_loss", 0, 0));
        assertThrows(UserInputException.class, () -> new EarlyStopping("val_loss", 1, Double.NaN));
        assertFalse(new EarlyStopping("val_accuracy", 1, 0).stopped());
    }
}
