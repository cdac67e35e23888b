package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Reads the real MNIST and Fashion-MNIST (see {@link TestDatasets} for where they are looked for; skipped with a
 * message if absent) and checks them against the published counts and against byte sums computed independently
 * (numpy over the same gzip files). Prints the time taken; asserts none.
 */
class IdxReaderRealDataTest {
    private static DataSplit read(String name) {
        Path dir = TestDatasets.find(name);
        assumeTrue(dir != null, () -> TestDatasets.notFound(name));
        long start = System.nanoTime();
        DataSplit split = IdxReader.read(dir);
        System.out.printf("read %s (%s) in %.0f ms%n", dir, ((Dataset) split.train()) + ", " + ((Dataset) split.test()),
                (System.nanoTime() - start) / 1e6);
        return split;
    }

    /** Sum over all pixels of round(x * 255), which must give back the byte sum exactly. */
    private static long byteSum(float[] x, int from, int to) {
        long sum = 0;
        for (int i = from; i < to; i++) {
            sum += Math.round(x[i] * 255f);
        }
        return sum;
    }

    private static void check(Dataset d, int size, int[] classCounts, long byteSum, long lastImageByteSum) {
        assertEquals(size, d.size(), d.name());
        assertEquals(784, d.features(), d.name());
        assertEquals("x F32[28, 28, 1]", d.schema().input().toString(), d.name());
        assertEquals(10, d.classes(), d.name());
        assertArrayEquals(classCounts, d.classCounts(), d.name() + " label counts");
        assertEquals(byteSum, byteSum(d.x(), 0, d.x().length), d.name() + " pixel byte sum");
        assertEquals(lastImageByteSum, byteSum(d.x(), d.x().length - 784, d.x().length), d.name() + " last image");
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : d.x()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min, 0f, d.name() + " smallest pixel");
        assertEquals(1f, max, 0f, d.name() + " largest pixel");
    }

    @Test
    void mnist() {
        DataSplit s = read("mnist");
        check(((Dataset) s.train()), 60_000, new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
                1_567_298_545L, 20_920);
        check(((Dataset) s.test()), 10_000, new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
                264_923_200L, 41_833);
        assertEquals(5, ((Dataset) s.train()).y()[0], "first MNIST training label");
        // Row 14 of the first training image (a 5), columns 13..18: 81 240 253 253 119 25.
        int[] expected = {81, 240, 253, 253, 119, 25};
        for (int c = 0; c < expected.length; c++) {
            assertEquals(expected[c] / 255f, ((Dataset) s.train()).x()[14 * 28 + 13 + c], 0f, "pixel (14, " + (13 + c) + ")");
        }
    }

    @Test
    void fashionMnist() {
        DataSplit s = read("fashion-mnist");
        int[] train = new int[10];
        int[] test = new int[10];
        java.util.Arrays.fill(train, 6000);
        java.util.Arrays.fill(test, 1000);
        check(((Dataset) s.train()), 60_000, train, 3_431_114_169L, 16_684);
        check(((Dataset) s.test()), 10_000, test, 573_469_082L, 24_390);
    }
}
