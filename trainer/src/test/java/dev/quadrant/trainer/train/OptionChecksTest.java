package dev.quadrant.trainer.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.UserInputException;

/** The declared ranges of the numeric options (issue 13, items 7, 9 and 17). */
class OptionChecksTest {

    /** Numeric options for which every value of the type is meaningful. */
    private static final Set<String> ANY_VALUE = Set.of("--seed", "--csv-label-column");

    /** Every numeric field of TrainOptions has a range in trainRanges(), so a new option cannot slip by unchecked. */
    @Test
    void everyNumericOptionHasARange() {
        List<String> ranged = OptionChecks.trainRanges().stream().map(OptionChecks.Range::option).toList();
        int numeric = 0;
        for (Field f : TrainOptions.class.getFields()) {
            Class<?> t = f.getType();
            if (t != int.class && t != long.class && t != float.class && t != double.class) {
                continue;
            }
            String name = f.getAnnotation(Setting.class).name();
            numeric++;
            assertTrue(ranged.contains(name) || ANY_VALUE.contains(name), name + " has no declared range");
        }
        assertEquals(OptionChecks.trainRanges().size() + ANY_VALUE.size(), numeric,
                "numeric options vs ranges: " + ranged);
    }

    private static void refused(Consumer<TrainOptions> set, String... mustName) {
        TrainOptions o = new TrainOptions();
        set.accept(o);
        UserInputException e = assertThrows(UserInputException.class, () -> OptionChecks.check(o));
        for (String s : mustName) {
            assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
        }
        // the Java API applies the same checks
        assertThrows(UserInputException.class, () -> Training.setup(o));
    }

    @Test
    void theIssuesCasesAreRefusedWithTheValue() {
        refused(o -> o.momentum = Float.NaN, "--momentum", "NaN", "[0, 1)");
        refused(o -> o.momentum = -5, "--momentum", "-5");
        refused(o -> o.clipNorm = Float.NaN, "--clip-norm", "NaN");
        refused(o -> o.steps = -3, "--steps", "-3");
        refused(o -> o.batch = 0, "--batch", "0");
        refused(o -> o.lr = Float.POSITIVE_INFINITY, "--lr", "Infinity");
        refused(o -> o.weightDecay = -1e-3f, "--weight-decay");
        refused(o -> o.csvTestFraction = 1.0, "--csv-test-fraction");
        refused(o -> o.steps = Long.MAX_VALUE, "--steps", String.valueOf(Long.MAX_VALUE));
        refused(o -> o.threads = 100_000, "--threads", "100000", "oversubscribes");
        refused(o -> { o.batch = 1 << 20; o.gradAccum = 1 << 12; }, "--batch", "--grad-accum", "rows per step");
    }

    /** Generated values around and beyond each range: every one outside is refused, every one inside passes. */
    @Test
    void generatedValuesAroundEveryRange() {
        int tried = 0;
        int refused = 0;
        List<String> wrong = new ArrayList<>();
        double[] probes = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1, -0.5, 0, 0.5, 1, 2,
            Integer.MAX_VALUE, 1L << 53, 1e300, -1e300, Float.MIN_VALUE, 0.999};
        for (OptionChecks.Range r : OptionChecks.trainRanges()) {
            for (double v : probes) {
                tried++;
                boolean inside = Double.isFinite(v) && (r.minIncluded() ? v >= r.min() : v > r.min())
                        && (r.maxIncluded() ? v <= r.max() : v < r.max()) && (!r.integer() || v == Math.rint(v));
                try {
                    r.check(v);
                    if (!inside) {
                        wrong.add(r.option() + " accepted " + v);
                    }
                } catch (UserInputException e) {
                    refused++;
                    if (inside) {
                        wrong.add(r.option() + " refused " + v + ": " + e.getMessage());
                    } else if (!e.getMessage().startsWith(r.option() + " ")) {
                        wrong.add(r.option() + ": message does not start with the option: " + e.getMessage());
                    }
                }
            }
        }
        System.out.printf("option ranges: %d values tried, %d refused, %d wrong%n", tried, refused, wrong.size());
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        assertTrue(refused > tried / 3, "most probes lie outside some range: " + refused + " of " + tried);
    }

    @Test
    void threadsAndCpuReplicasAreBoundedByTheMachine() {
        int max = OptionChecks.maxCpuThreads();
        assertTrue(max >= OptionChecks.MIN_THREAD_LIMIT);
        assertDoesNotThrow(() -> OptionChecks.threads().check(max));
        assertThrows(UserInputException.class, () -> OptionChecks.threads().check(max + 1));
        UserInputException e = assertThrows(UserInputException.class, () -> DeviceSpec.parse("cpu:" + (max + 1)));
        assertTrue(e.getMessage().contains("CPU replicas") && e.getMessage().contains(String.valueOf(max)),
                e.getMessage());
        assertEquals(max, DeviceSpec.parse("cpu:" + max).size());
    }

    /** --steps 2147483648 on data of one step per epoch used to overflow the epoch count and train nothing. */
    @Test
    void stepsThatOverflowTheEpochCountAreRefused() {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:4x2x20";
        o.batch = 64;
        o.steps = 1L << 31;
        Training.Setup s = Training.setup(o);
        var data = Training.loadData(o, s);
        Trainer t = new Trainer(Training.plan(o, s, data));
        UserInputException e = assertThrows(UserInputException.class, () -> t.epochCount(data.train()));
        assertTrue(e.getMessage().contains("--steps 2147483648") && e.getMessage().contains("epochs"), e.getMessage());
        o.steps = Integer.MAX_VALUE;
        assertEquals(Integer.MAX_VALUE, new Trainer(Training.plan(o, s, data)).epochCount(data.train()));
    }

    /** A --batch larger than the data sizes buffers by the data, not by the batch. */
    @Test
    void bufferRowsAreBoundedByTheData() {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:4x2x100";
        o.batch = 2_000_000_000;
        var data = Training.loadData(o, Training.setup(o));
        int rows = Training.bufferRows(o, data);
        assertTrue(rows <= 100, "rows " + rows);
        assertEquals(Math.max(data.train().size(), data.test().size()), rows);
    }
}
