package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DropoutHash;
import dev.quadrant.kernels.Kernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real kernel sources, launched through the real {@link Kernels} launchers (arguments, grid shapes), executed by
 * the host emulator ({@link KernelEmulator}) and compared with the float64 {@link Reference}, exactly where the
 * contract is exact. Skipped when g++ is missing. Tolerances: 1e-5 relative (+1e-5 absolute) for float math; the
 * host's libm stands in for CUDA's, both within a few ulp.
 */
class EmulatedKernelsTest {
    private static KernelEmulator emu;
    private static Kernels k;
    private final Random rnd = new Random(99);

    @BeforeAll
    static void start() throws Exception {
        emu = KernelEmulator.start();
        Assumptions.assumeTrue(emu != null, "g++ not installed: the kernel emulator cannot be built");
        k = new Kernels(emu);
    }

    @AfterAll
    static void stop() throws Exception {
        if (emu != null) {
            k.close();
            emu.close();
        }
    }

    private float[] randn(int n, double s) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * s);
        }
        return x;
    }

    private static void near(String what, float[] got, double[] want) {
        SelfTest.Checker.compare(what, got, want, 1e-5, null);
    }

    @Test
    void elementwise() {
        int n = 5003;   // > 16 blocks x 256 threads: the grid-stride loop runs twice
        float[] x = randn(n, 1);
        float[] y = randn(n, 1);
        long px = emu.floats(x);
        long py = emu.floats(y);
        k.axpy(null, px, py, n, 0.25f);
        k.scale(null, py, n, -3f);
        k.mul(null, py, px, py, n);
        double[] want = new double[n];
        for (int i = 0; i < n; i++) {
            want[i] = ((double) y[i] + 0.25 * x[i]) * -3.0 * x[i];
        }
        float[] before = emu.readFloats(py);
        near("axpy-scale-mul", before, want);
        k.fill(null, py + 4L * 3, n - 6, 7f);   // a view: offset in bytes on the address
        float[] f = emu.readFloats(py);
        assertEquals(before[2], f[2]);
        assertEquals(7f, f[3]);
        assertEquals(7f, f[n - 4]);
        assertEquals(before[n - 3], f[n - 3]);
        int rows = 37;
        int cols = 45;
        float[] m = randn(rows * cols, 1);
        float[] b = randn(cols, 1);
        long pm = emu.floats(m);
        k.addBias(null, pm, emu.floats(b), rows, cols);
        double[] wb = new double[rows * cols];
        for (int i = 0; i < wb.length; i++) {
            wb[i] = (double) m[i] + b[i % cols];
        }
        near("addBias", emu.readFloats(pm), wb);
    }

    @Test
    void addAndDivideOfTheDeviceLocalCommunicator() {
        int n = 4133;
        float[] a = randn(n, 1);
        float[] b = randn(n, 1);
        long pa = emu.floats(a);
        long pb = emu.floats(b);
        k.add(null, pa, pb, pa, n);        // out aliases a
        k.divide(null, pa, n, 3f);
        float[] got = emu.readFloats(pa);
        for (int i = 0; i < n; i++) {
            float want = (a[i] + b[i]) / 3f;   // float32 sum, then one float32 division
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                    "element " + i + ": got " + got[i] + " expected " + want + " (exact)");
        }
    }

    @Test
    void activations() {
        int n = 4097;
        float[] x = randn(n, 2);
        x[0] = 0f;
        float[] dy = randn(n, 1);
        for (Activation f : Activation.values()) {
            long px = emu.floats(x);
            long py = emu.zeros(n);
            long pdy = emu.floats(dy);
            k.activationForward(null, f.ordinal(), px, py, n);
            near(f + " forward", emu.readFloats(py), Reference.activation(f, x));
            k.activationBackward(null, f.ordinal(), px, pdy, pdy, n);   // dx aliases dy
            near(f + " backward", emu.readFloats(pdy), Reference.activationBackward(f, x, dy));
            k.activationForward(null, f.ordinal(), px, px, n);   // y aliases x
            near(f + " in place", emu.readFloats(px), Reference.activation(f, x));
        }
    }

    @Test
    void dropoutReproducesDropoutHashExactly() {
        int n = 4500;
        for (long seed : new long[] {42L, -1L, Long.MIN_VALUE}) {
            for (float p : new float[] {0f, 0.1f, 0.5f}) {
                long pm = emu.zeros(n);
                float keep = 1f / (1f - p);
                k.dropoutMask(null, pm, n, seed, 0L, p, keep);
                float[] got = emu.readFloats(pm);
                int dropped = 0;
                for (int i = 0; i < n; i++) {
                    float want = DropoutHash.uniform(seed, i) < p ? 0f : keep;
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                            "seed " + seed + " p " + p + " element " + i + ": got " + got[i] + " expected " + want);
                    dropped += got[i] == 0f ? 1 : 0;
                }
                assertEquals(p, dropped / (double) n, 0.03, "drop rate for p=" + p);
            }
        }
    }

    @Test
    void softmaxCrossEntropyAndMse() {
        for (int cols : new int[] {3, 32, 70}) {
            int rows = 37;   // 5 blocks of 8 warps, the last one partly past the end
            float[] x = randn(rows * cols, 3);
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = rnd.nextInt(cols);
            }
            long px = emu.floats(x);
            long py = emu.ints(y);
            long loss = emu.zeros(rows);
            long d = emu.zeros(rows * cols);
            k.softmaxXentForward(null, px, py, loss, rows, cols);
            near("xent loss cols=" + cols, emu.readFloats(loss), Reference.softmaxXent(x, y, rows, cols));
            k.softmaxXentBackward(null, px, py, 1f / rows, d, rows, cols);
            near("xent grad cols=" + cols, emu.readFloats(d), Reference.softmaxXentBackward(x, y, 1f / rows, rows, cols));
        }
        long bad = emu.zeros(2);
        k.softmaxXentForward(null, emu.floats(new float[] {1, 2, 3, 4}), emu.ints(new int[] {0, 2}), bad, 2, 2);
        assertTrue(Float.isNaN(emu.readFloats(bad)[1]), "a label outside [0, cols) gives a NaN loss");

        int rows = 21;
        int cols = 40;
        float[] p = randn(rows * cols, 1);
        float[] t = randn(rows * cols, 1);
        double[] loss = new double[rows];
        double[] g = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double e = (double) p[r * cols + j] - t[r * cols + j];
                loss[r] += e * e / cols;
                g[r * cols + j] = 0.5 * 2 * e / cols;
            }
        }
        long pp = emu.floats(p);
        long pt = emu.floats(t);
        long pl = emu.zeros(rows);
        long pg = emu.zeros(rows * cols);
        k.mseForward(null, pp, pt, pl, rows, cols);
        near("mse loss", emu.readFloats(pl), loss);
        k.mseBackward(null, pp, pt, 0.5f, pg, (long) rows * cols, cols);
        near("mse grad", emu.readFloats(pg), g);
    }

    @Test
    void columnSumsAndSums() {
        int rows = 300;
        int cols = 70;
        float[] x = randn(rows * cols, 1);
        float[] o = randn(cols, 1);
        double[] w0 = new double[cols];
        double[] w5 = new double[cols];
        for (int j = 0; j < cols; j++) {
            for (int r = 0; r < rows; r++) {
                w0[j] += x[r * cols + j];
            }
            w5[j] = 0.5 * o[j] + w0[j];
        }
        long px = emu.floats(x);
        long p0 = emu.floats(o);
        long p5 = emu.floats(o);
        k.columnSums(null, px, p0, rows, cols, 0f);
        k.columnSums(null, px, p5, rows, cols, 0.5f);
        near("columnSums beta 0", emu.readFloats(p0), w0);
        near("columnSums beta 0.5", emu.readFloats(p5), w5);

        int n = 5003;   // 20 partial blocks
        float[] v = randn(n, 1);
        double sum = 0;
        double sq = 0;
        for (float f : v) {
            sum += f;
            sq += (double) f * f;
        }
        long pv = emu.floats(v);
        long parts = emu.zeros(2 * Kernels.PARTIALS);
        long acc = emu.floats(new float[] {1f});
        k.sumPartials(null, pv, n, parts);
        k.finishSumInto(null, parts, Kernels.partialCount(n), acc);
        assertEquals(1 + sum, emu.readFloats(acc)[0], 1e-5 * (1 + Math.abs(sum)));
        k.sumSquaresPartials(null, pv, n, parts);
        double s = Arrays.stream(emu.readDoubles(parts, Kernels.partialCount(n))).sum();
        assertEquals(sq, s, 1e-12 * sq, "sum of squares accumulated in double");

        long flag = emu.ints(new int[1]);
        k.flagNonFinite(null, pv, n, flag);
        assertEquals(0, emu.readInts(flag)[0]);
        v[n - 2] = Float.NEGATIVE_INFINITY;
        k.flagNonFinite(null, emu.floats(v), n, flag);
        assertEquals(1, emu.readInts(flag)[0]);
    }

    @Test
    void argmaxAndCountCorrect() {
        int rows = 45;
        int cols = 70;
        float[] x = randn(rows * cols, 1);
        Arrays.fill(x, 0, cols, 1f);                                      // row 0: all equal -> 0
        x[cols + 7] = 9f;                                                 // row 1: tie 7 / 40 -> 7
        x[cols + 40] = 9f;
        x[2 * cols] = Float.NaN;                                          // row 2: NaN first -> 0
        x[3 * cols + 33] = Float.NaN;                                     // row 3: NaN elsewhere is skipped
        Arrays.fill(x, 4 * cols, 5 * cols, Float.NEGATIVE_INFINITY);     // row 4: all -inf -> 0
        int[] want = Reference.argmax(x, rows, cols);
        long px = emu.floats(x);
        long out = emu.ints(new int[rows]);
        k.argmaxRows(null, px, out, rows, cols);
        assertArrayEquals(want, emu.readInts(out));
        int[] labels = new int[rows];
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            labels[r] = r % 3 == 0 ? want[r] : (want[r] + 1) % cols;
            correct += r % 3 == 0 ? 1 : 0;
        }
        long acc = emu.floats(new float[] {2f});
        k.countCorrect(null, px, emu.ints(labels), acc, rows, cols);
        assertEquals(2f + correct, emu.readFloats(acc)[0]);
    }

    @Test
    void optimizers() {
        int n = 5000;
        for (boolean nesterov : new boolean[] {false, true}) {
            float[] p = randn(n, 1);
            float[] g = randn(n, 1);
            float[] v = randn(n, 1);
            double[][] want = Reference.sgd(p, g, v, 0.1f, 0.9f, nesterov, 0.01f);
            long pp = emu.floats(p);
            long pv = emu.floats(v);
            k.sgdUpdate(null, pp, emu.floats(g), pv, n, 0.1f, 0.9f, nesterov, 0.01f);
            near("sgd param", emu.readFloats(pp), want[0]);
            near("sgd velocity", emu.readFloats(pv), want[1]);
        }
        float[] p0 = randn(n, 1);
        float[] g0 = randn(n, 1);
        long pp0 = emu.floats(p0);
        k.sgdUpdate(null, pp0, emu.floats(g0), 0, n, 0.05f, 0f, false, 0f);
        near("plain sgd", emu.readFloats(pp0), Reference.sgd(p0, g0, new float[n], 0.05f, 0f, false, 0f)[0]);
        for (boolean decoupled : new boolean[] {false, true}) {
            float[] p = randn(n, 1);
            float[] g = randn(n, 1);
            float[] m = randn(n, 0.1);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) Math.abs(rnd.nextGaussian() * 0.01);
            }
            double[][] want = Reference.adam(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7);
            long pp = emu.floats(p);
            long pm = emu.floats(m);
            long pv = emu.floats(v);
            k.adamUpdate(null, pp, emu.floats(g), pm, pv, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7);
            near("adam param", emu.readFloats(pp), want[0]);
            near("adam m", emu.readFloats(pm), want[1]);
            near("adam v", emu.readFloats(pv), want[2]);
        }
    }

    @Test
    void bf16CastsAreExact() {
        float[] x = randn(3000, 100);
        x[0] = Float.NaN;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = -0f;
        x[3] = Float.MAX_VALUE;
        x[4] = Float.intBitsToFloat(0x3f808000);   // halfway, even below: stays
        x[5] = Float.intBitsToFloat(0x3f818000);   // halfway, odd below: rounds up
        x[6] = Float.MIN_VALUE;
        long px = emu.floats(x);
        long h = emu.halves(x.length);
        long back = emu.zeros(x.length);
        k.toBf16(null, px, h, x.length);
        k.fromBf16(null, h, back, x.length);
        short[] bits = emu.readHalves(h);
        float[] got = emu.readFloats(back);
        for (int i = 0; i < x.length; i++) {
            short want = Reference.toBf16(x[i]);
            assertEquals(want, bits[i], "bf16 bits of element " + i + " (" + x[i] + ")");
            assertEquals(Float.floatToRawIntBits(Float.intBitsToFloat((want & 0xffff) << 16)),
                    Float.floatToRawIntBits(got[i]), "back to float, element " + i);
        }
        assertEquals(0x3f80, bits[4] & 0xffff);
        assertEquals(0x3f82, bits[5] & 0xffff);
        assertTrue(Float.isNaN(got[0]));
    }
}
