package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.quadrant.device.UserInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class SyntheticDataTest {
    /** CRC-32 of the float bits (little-endian) and labels of a dataset: its bytes, in one number. */
    static long checksum(Dataset d) {
        ByteBuffer b = ByteBuffer.allocate(4 * (d.x().length + d.y().length)).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : d.x()) {
            b.putInt(Float.floatToRawIntBits(v));
        }
        for (int v : d.y()) {
            b.putInt(v);
        }
        CRC32 crc = new CRC32();
        crc.update(b.array());
        return crc.getValue();
    }

    @Test
    void sameSeedGivesTheSameBytes() {
        DataSplit a = SyntheticData.generate(100, 7, 3000, 500, 42);
        DataSplit b = SyntheticData.generate(100, 7, 3000, 500, 42);
        assertEquals(checksum(((Dataset) a.train())), checksum(((Dataset) b.train())));
        assertEquals(checksum(((Dataset) a.test())), checksum(((Dataset) b.test())));
        assertBitsEqual(((Dataset) a.train()).x(), ((Dataset) b.train()).x());
        assertArrayEquals(((Dataset) a.train()).y(), ((Dataset) b.train()).y());
        DataSplit c = SyntheticData.generate(100, 7, 3000, 500, 43);
        assertFalse(Arrays.equals(((Dataset) a.train()).x(), ((Dataset) c.train()).x()), "another seed must give other data");
        assertNotEquals(checksum(((Dataset) a.test())), checksum(((Dataset) c.test())));
    }

    private static void assertBitsEqual(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                fail("first difference at " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }

    /**
     * Pins the exact bytes of one small dataset, so that a change of the generator (or a JVM that computes it
     * differently) shows up here rather than as silently different experiments. If the generator is changed on
     * purpose, update the values and say so in the change.
     */
    @Test
    void bytesArePinned() {
        DataSplit s = SyntheticData.generate(20, 3, 50, 10, 42);
        assertEquals(PINNED_TRAIN, checksum(((Dataset) s.train())), "train checksum");
        assertEquals(PINNED_TEST, checksum(((Dataset) s.test())), "test checksum");
        assertEquals("synthetic-20x3-seed42/train", ((Dataset) s.train()).name());
    }

    static final long PINNED_TRAIN = 364733955L;
    static final long PINNED_TEST = 2459426987L;

    @Test
    void rowsDoNotDependOnTheSampleCounts() {
        DataSplit small = SyntheticData.generate(30, 4, 40, 7, 9);
        DataSplit large = SyntheticData.generate(30, 4, 100, 20, 9);
        assertBitsEqual(((Dataset) small.train()).x(), Arrays.copyOf(((Dataset) large.train()).x(), 40 * 30));
        assertArrayEquals(((Dataset) small.train()).y(), Arrays.copyOf(((Dataset) large.train()).y(), 40));
        assertBitsEqual(((Dataset) small.test()).x(), Arrays.copyOf(((Dataset) large.test()).x(), 7 * 30));
        assertFalse(Arrays.equals(Arrays.copyOf(((Dataset) large.train()).x(), 20 * 30), ((Dataset) large.test()).x()),
                "test rows must not repeat training rows");
    }

    @Test
    void featuresAreStandardizedAndClassesBalanced() {
        Dataset d = ((Dataset) SyntheticData.generate(784, 10, 10_000, 2_000, 42).train());
        double sum = 0;
        double sumSq = 0;
        for (float v : d.x()) {
            sum += v;
            sumSq += (double) v * v;
        }
        double mean = sum / d.x().length;
        double var = sumSq / d.x().length - mean * mean;
        assertEquals(0, mean, 0.05, "mean of all features");
        assertEquals(1, var, 0.2, "variance of all features");
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, d.classCounts()[c], 100, "rows of class " + c);
        }
    }

    /**
     * Learnable but not linearly trivial: on the default shape, 1-nearest-neighbour (a non-linear rule) is far
     * better than nearest-class-mean (a linear rule). Measured: 1-NN 0.95, nearest mean 0.60; the bounds leave room.
     * (With numpy on 10000 samples: Adam-trained 784-256-10 MLP 0.96, softmax regression 0.65.)
     */
    @Test
    void nonLinearRulesBeatLinearOnes() {
        DataSplit s = SyntheticData.generate(784, 10, 1500, 300, 42);
        double nn = oneNearestNeighbour(s);
        double mean = nearestMean(s);
        System.out.printf("synthetic 784x10, 1500 train / 300 test: 1-NN accuracy %.3f, nearest class mean %.3f%n",
                nn, mean);
        assertTrue(nn > 0.8, "1-NN accuracy " + nn + " should exceed 0.8");
        assertTrue(mean < 0.75, "nearest-mean accuracy " + mean + " should stay below 0.75");
        assertTrue(mean > 0.25, "nearest-mean accuracy " + mean + " should beat chance (0.1) clearly");
    }

    private static double oneNearestNeighbour(DataSplit s) {
        Dataset tr = ((Dataset) s.train());
        Dataset te = ((Dataset) s.test());
        int f = tr.features();
        int correct = 0;
        for (int i = 0; i < te.size(); i++) {
            double best = Double.MAX_VALUE;
            int label = -1;
            for (int j = 0; j < tr.size(); j++) {
                float d = 0;
                for (int k = 0; k < f; k++) {
                    float diff = te.x()[i * f + k] - tr.x()[j * f + k];
                    d += diff * diff;
                }
                if (d < best) {
                    best = d;
                    label = tr.y()[j];
                }
            }
            correct += label == te.y()[i] ? 1 : 0;
        }
        return (double) correct / te.size();
    }

    private static double nearestMean(DataSplit s) {
        Dataset tr = ((Dataset) s.train());
        int f = tr.features();
        double[] means = new double[tr.classes() * f];
        int[] counts = tr.classCounts();
        for (int j = 0; j < tr.size(); j++) {
            for (int k = 0; k < f; k++) {
                means[tr.y()[j] * f + k] += tr.x()[j * f + k] / (double) counts[tr.y()[j]];
            }
        }
        Dataset te = ((Dataset) s.test());
        int correct = 0;
        for (int i = 0; i < te.size(); i++) {
            double best = Double.MAX_VALUE;
            int label = -1;
            for (int c = 0; c < tr.classes(); c++) {
                double d = 0;
                for (int k = 0; k < f; k++) {
                    double diff = te.x()[i * f + k] - means[c * f + k];
                    d += diff * diff;
                }
                if (d < best) {
                    best = d;
                    label = c;
                }
            }
            correct += label == te.y()[i] ? 1 : 0;
        }
        return (double) correct / te.size();
    }

    @Test
    void tinyShapesWork() {
        DataSplit s = SyntheticData.generate(1, 2, 1, 1, 0);
        assertEquals(1, ((Dataset) s.train()).size());
        assertEquals(1, s.features());
        assertEquals(2, s.classes());
    }

    @Test
    void badArguments() {
        assertBad(() -> SyntheticData.generate(0, 10, 10, 10, 1), "features: saw 0, expected at least 1");
        assertBad(() -> SyntheticData.generate(5, 1, 10, 10, 1), "classes: saw 1, expected 2..10000");
        assertBad(() -> SyntheticData.generate(5, 10001, 10, 10, 1), "classes: saw 10001");
        assertBad(() -> SyntheticData.generate(5, 2, 0, 10, 1), "training samples: saw 0");
        assertBad(() -> SyntheticData.generate(5, 2, 10, 0, 1), "test samples: saw 0");
        assertBad(() -> SyntheticData.generate(100_000, 2, 100_000, 1, 1), "largest Java array");
    }

    private static void assertBad(org.junit.jupiter.api.function.Executable call, String part) {
        UserInputException e = assertThrows(UserInputException.class, call);
        assertTrue(e.getMessage().contains(part), "message lacks \"" + part + "\": " + e.getMessage());
    }

    /** Prints the time for the shape the brief names; asserts nothing about it. */
    @Test
    void timeFullSize() {
        long start = System.nanoTime();
        DataSplit s = SyntheticData.generate(784, 10, 60_000, 10_000, 1);
        System.out.printf("synthetic 784x10, 60000 + 10000 rows: %.0f ms%n", (System.nanoTime() - start) / 1e6);
        assertEquals(60_000, ((Dataset) s.train()).size());
    }
}
