package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.GradientStats;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.Kernels;
import org.junit.jupiter.api.Test;

/**
 * The real kernel sources of the element-wise, activation, loss, reduction, optimizer, cast and dropout families,
 * launched through the real {@link Kernels} launchers (arguments, grid shapes), executed by the host emulator
 * ({@link KernelEmulator}) and compared with the float64 {@link ReferenceBackend} running the same op, exactly where
 * the contract is exact. The sequence-model kernels are in {@link EmulatedSequenceKernelsTest}. Skipped when g++ is
 * missing. Tolerances: 1e-5 relative (+1e-5 absolute) for float math; the host's libm stands in for CUDA's, both
 * within a few ulp.
 */
class EmulatedKernelsTest extends EmulatorTest {
    EmulatedKernelsTest() {
        super(99L);
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
        Tensor rx = ref.floats(x, n);
        Tensor ry = ref.floats(y, n);
        rb.axpy(0.25f, rx, ry);
        rb.scale(ry, -3f);
        rb.mul(ry, rx, ry);
        float[] before = emu.readFloats(py);
        near("axpy-scale-mul", before, RefTensors.values(ry));
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
        Tensor rm = ref.floats(m, rows, cols);
        rb.addBias(rm, ref.floats(b, cols));
        near("addBias", emu.readFloats(pm), RefTensors.values(rm));
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
            float want = (a[i] + b[i]) / 3f;   // float32 sum, then one float32 division: the communicator's contract
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                    "element " + i + ": got " + got[i] + " expected " + want + " (exact)");
        }
    }

    @Test
    void activations() {
        int n = 4097;
        float[] x = randn(n, 2);
        x[0] = 0f;
        x[1] = Float.NaN;   // kept by every forward (ReLU included, as PyTorch)
        float[] dy = randn(n, 1);
        for (Activation f : Activation.values()) {
            long px = emu.floats(x);
            long py = emu.zeros(n);
            long pdy = emu.floats(dy);
            Tensor rx = ref.floats(x, n);
            Tensor ry = ref.zeros(n);
            Tensor rdx = ref.zeros(n);
            rb.activationForward(f, rx, ry);
            rb.activationBackward(f, rx, ref.floats(dy, n), rdx);
            double[] wantY = RefTensors.values(ry);
            k.activationForward(null, f.ordinal(), px, py, n);
            float[] gotY = emu.readFloats(py);
            assertTrue(Float.isNaN(gotY[1]), f + " keeps NaN, got " + gotY[1]);
            near(f + " forward", finite(gotY), finite(wantY));
            k.activationBackward(null, f.ordinal(), px, pdy, pdy, n);   // dx aliases dy
            float[] gotDx = emu.readFloats(pdy);
            near(f + " backward", finite(gotDx), finite(RefTensors.values(rdx)));
            k.activationForward(null, f.ordinal(), px, px, n);   // y aliases x
            near(f + " in place", finite(emu.readFloats(px)), finite(wantY));
        }
    }

    /** Without element 1 (the NaN of {@link #activations}, whose gradient is not pinned by the contract). */
    private static float[] finite(float[] v) {
        float[] out = v.clone();
        out[1] = 0f;
        return out;
    }

    private static double[] finite(double[] v) {
        double[] out = v.clone();
        out[1] = 0;
        return out;
    }

    @Test
    void dropoutMatchesTheReferenceExactlyAtAnyFirstIndex() {
        int n = 4500;
        for (long seed : new long[] {42L, -1L, Long.MIN_VALUE}) {
            for (float p : new float[] {0f, 0.1f, 0.5f}) {
                for (long first : new long[] {0L, 777L, (1L << 40) + 3}) {
                    long pm = emu.zeros(n);
                    float keep = (float) (1.0 / (1.0 - p));
                    k.dropoutMask(null, pm, n, seed, first, p, keep);
                    float[] got = emu.readFloats(pm);
                    Tensor rm = ref.zeros(n);
                    rb.dropoutMask(rm, p, seed, first);
                    double[] want = RefTensors.values(rm);
                    int dropped = 0;
                    for (int i = 0; i < n; i++) {
                        float w = (float) want[i];
                        assertEquals(Float.floatToRawIntBits(w), Float.floatToRawIntBits(got[i]), "seed " + seed + " p "
                                + p + " firstIndex " + first + " element " + i + ": got " + got[i] + " expected " + w);
                        dropped += got[i] == 0f ? 1 : 0;
                    }
                    assertEquals(p, dropped / (double) n, 0.03, "drop rate for p=" + p);
                }
            }
        }
        // a shard at firstIndex r0 * rowSize draws exactly its rows of the whole batch's mask
        long whole = emu.zeros(3000);
        long shard = emu.zeros(1000);
        k.dropoutMask(null, whole, 3000, 9L, 0L, 0.3f, 1f / 0.7f);
        k.dropoutMask(null, shard, 1000, 9L, 1500L, 0.3f, 1f / 0.7f);
        assertArrayEquals(Arrays.copyOfRange(emu.readFloats(whole), 1500, 2500), emu.readFloats(shard));
    }

    @Test
    void softmaxCrossEntropyWithIgnoredRowsAndLargeVocabularies() {
        int[][] shapes = {{1, 1}, {3, 13}, {7, 70}, {37, 3}, {5, 257}, {3, 50257}};   // [rows, classes]
        for (int[] s : shapes) {
            int rows = s[0];
            int cols = s[1];
            float[] x = randn(rows * cols, 3);
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = r % 3 == 1 ? Backend.IGNORE_INDEX : rnd.nextInt(cols);
            }
            String what = "xent [" + rows + "," + cols + "]";
            long px = emu.floats(x);
            long py = emu.ints(y);
            long loss = emu.floats(randn(rows, 1));   // garbage the kernel must overwrite, ignored rows included
            long d = emu.floats(randn(rows * cols, 1));
            k.softmaxXentForward(null, px, py, loss, rows, cols);
            k.softmaxXentBackward(null, px, py, 1f / rows, d, rows, cols);
            double[][] want = ref.softmaxCrossEntropy(x, y, rows, cols, 1f / rows);
            float[] gotLoss = emu.readFloats(loss);
            float[] gotD = emu.readFloats(d);
            near(what + " loss", gotLoss, want[0]);
            near(what + " dLogits", gotD, want[1]);
            for (int r = 1; r < rows; r += 3) {
                assertEquals(0f, gotLoss[r], what + ": ignored row " + r + " has loss 0");
                for (int j = 0; j < cols; j++) {
                    assertEquals(0f, gotD[r * cols + j], what + ": ignored row " + r + " has a zero gradient");
                }
            }
        }
        long bad = emu.zeros(2);
        k.softmaxXentForward(null, emu.floats(new float[] {1, 2, 3, 4}), emu.ints(new int[] {0, 2}), bad, 2, 2);
        assertTrue(Float.isNaN(emu.readFloats(bad)[1]), "a label outside [0, cols) (not IGNORE_INDEX) gives a NaN loss");
    }

    @Test
    void meanSquaredError() {
        int rows = 21;
        int cols = 40;
        float[] p = randn(rows * cols, 1);
        float[] t = randn(rows * cols, 1);
        long pp = emu.floats(p);
        long pt = emu.floats(t);
        long pl = emu.zeros(rows);
        long pg = emu.zeros(rows * cols);
        k.mseForward(null, pp, pt, pl, rows, cols);
        k.mseBackward(null, pp, pt, 0.5f, pg, (long) rows * cols, cols);
        Tensor rp = ref.floats(p, rows, cols);
        Tensor rt = ref.floats(t, rows, cols);
        Tensor rl = ref.zeros(rows);
        Tensor rg = ref.zeros(rows, cols);
        rb.mseForward(rp, rt, rl);
        rb.mseBackward(rp, rt, 0.5f, rg);
        near("mse loss", emu.readFloats(pl), RefTensors.values(rl));
        near("mse grad", emu.readFloats(pg), RefTensors.values(rg));
    }

    @Test
    void columnSumsAndSums() {
        int rows = 300;
        int cols = 70;
        float[] x = randn(rows * cols, 1);
        float[] o = randn(cols, 1);
        long px = emu.floats(x);
        long p0 = emu.floats(o);
        long p5 = emu.floats(o);
        k.columnSums(null, px, p0, rows, cols, 0f);
        k.columnSums(null, px, p5, rows, cols, 0.5f);
        Tensor rx = ref.floats(x, rows, cols);
        Tensor r0 = ref.floats(o, cols);
        Tensor r5 = ref.floats(o, cols);
        rb.columnSums(rx, 0f, r0);
        rb.columnSums(rx, 0.5f, r5);
        near("columnSums beta 0", emu.readFloats(p0), RefTensors.values(r0));
        near("columnSums beta 0.5", emu.readFloats(p5), RefTensors.values(r5));

        int n = 5003;   // 20 partial blocks
        float[] v = randn(n, 1);
        Tensor rv = ref.floats(v, n);
        Tensor racc = ref.floats(new float[] {1f}, 1);
        rb.sumInto(rv, racc);
        double sum = RefTensors.values(racc)[0];
        double norm = rb.l2Norm(rv);
        long pv = emu.floats(v);
        long parts = emu.zeros(2 * Kernels.PARTIALS);
        long acc = emu.floats(new float[] {1f});
        k.sumPartials(null, pv, n, parts);
        k.finishSumInto(null, parts, Kernels.partialCount(n), acc);
        assertEquals(sum, emu.readFloats(acc)[0], 1e-5 * (1 + Math.abs(sum)));
        k.sumSquaresPartials(null, pv, n, parts);
        double s = Arrays.stream(emu.readDoubles(parts, Kernels.partialCount(n))).sum();
        assertEquals(norm * norm, s, 1e-12 * s, "sum of squares accumulated in double");

        long flag = emu.ints(new int[1]);
        k.flagNonFinite(null, pv, n, flag);
        assertEquals(0, emu.readInts(flag)[0]);
        v[n - 2] = Float.NEGATIVE_INFINITY;
        k.flagNonFinite(null, emu.floats(v), n, flag);
        assertEquals(1, emu.readInts(flag)[0]);
    }

    /**
     * grad_stats_partials and grad_stats_finish over 20 blocks against the reference's gradientStats: norm 1e-6
     * relative, clipping factor 1e-6 relative (exactly 1 when not clipped), and the flag, count and first non-finite
     * record exact: the block minimum (shared atomicMin) and the minimum over blocks find the first index whichever
     * block or thread sees a later one first. Also finish_sum_finite_into_f32.
     */
    @Test
    void gradientStatisticsAndFiniteSums() {
        int n = 5003;
        float[] v = randn(n, 1);
        long stats = emu.zeros(GradientStats.SIZE);
        long parts = emu.zeros(2 * Kernels.PARTIALS);
        long firstBad = emu.zeros(2 * Kernels.PARTIALS);
        Tensor rs = ref.floats(new float[GradientStats.SIZE], GradientStats.SIZE);
        long pv = emu.floats(v);
        for (float maxNorm : new float[] {0f, 1f}) {
            k.gradientStats(null, pv, n, parts, firstBad, maxNorm, 9, stats);
            rb.gradientStats(ref.floats(v, n), maxNorm, 9, rs);
            float[] got = emu.readFloats(stats);
            double[] want = RefTensors.values(rs);
            if (maxNorm > 0f) {
                assertEquals(want[0], got[0], 1e-6 * want[0], "norm, maxNorm " + maxNorm);
            } else {   // no clipping: no norm (Backend#gradientStats)
                assertTrue(Float.isNaN(got[0]) && Double.isNaN(want[0]), "norm without clipping is NaN: " + got[0]);
            }
            assertEquals(want[2], got[2], 1e-6 * want[2], "factor, maxNorm " + maxNorm);
            assertEquals(maxNorm == 0f ? 1f : got[2], got[2]);
            assertEquals(0f, got[1], "no non-finite element");
        }
        v[4000] = Float.POSITIVE_INFINITY;   // a later block sees its element first in no particular order
        v[1234] = Float.NaN;
        v[4999] = Float.NaN;
        long bad = emu.floats(v);
        k.gradientStats(null, bad, n, parts, firstBad, 1f, (1L << 25) + 3, stats);
        rb.gradientStats(ref.floats(v, n), 1f, (1L << 25) + 3, rs);
        float[] got = emu.readFloats(stats);
        double[] want = RefTensors.values(rs);
        for (int i = GradientStats.NON_FINITE; i < GradientStats.SIZE; i++) {
            if (i != GradientStats.FACTOR) {
                assertEquals(want[i], got[i], "stats[" + i + "] exact");
            }
        }
        GradientStats.Read read = GradientStats.decode(got);
        assertEquals(1234, read.firstIndex());
        assertEquals((1L << 25) + 3, read.firstStep());

        long flag = emu.ints(new int[1]);
        long acc = emu.floats(new float[] {0.5f, 2f});
        k.flagNonFinite(null, pv, n, flag);
        k.sumPartials(null, pv, n, parts);
        k.finishSumFiniteInto(null, parts, Kernels.partialCount(n), flag, 7f, acc);
        Tensor racc = ref.floats(new float[] {0.5f, 2f}, 2);
        rb.sumFiniteInto(ref.floats(randnCopy(pv, n), n), 7f, racc);
        float[] a = emu.readFloats(acc);
        double[] ra = RefTensors.values(racc);
        assertEquals(ra[0], a[0], 1e-5 * (1 + Math.abs(ra[0])));
        assertEquals(9f, a[1]);
        k.flagNonFinite(null, bad, n, flag);
        k.sumPartials(null, bad, n, parts);
        k.finishSumFiniteInto(null, parts, Kernels.partialCount(n), flag, 7f, acc);
        assertEquals(a[0], emu.readFloats(acc)[0], "a NaN adds nothing");
        assertEquals(9f, emu.readFloats(acc)[1], "nor its terms");
    }

    /**
     * The guarded sgd and adam kernels (clip factor and skip read from a GradientStats tensor on the device) against the
     * reference's guarded updates: 1e-5 relative; a flagged step leaves parameters and state bit for bit unchanged; a
     * guard with one skipped call makes Adam use step - 1 for its bias corrections (computed by the kernel).
     */
    @Test
    void guardedOptimizerKernels() {
        int n = 5003;
        float[] p = randn(n, 1);
        float[] g = randn(n, 1);
        float[] m = randn(n, 0.1);
        float[] v = randn(n, 0.1);
        for (int i = 0; i < n; i++) {
            v[i] *= v[i];
        }
        float[] bad = g.clone();
        bad[77] = Float.NaN;
        long parts = emu.zeros(2 * Kernels.PARTIALS);
        long firstBad = emu.zeros(2 * Kernels.PARTIALS);
        for (int skipFirst = 0; skipFirst < 2; skipFirst++) {
            long stats = emu.zeros(GradientStats.SIZE);
            Tensor rs = ref.floats(new float[GradientStats.SIZE], GradientStats.SIZE);
            if (skipFirst == 1) {
                k.gradientStats(null, emu.floats(bad), n, parts, firstBad, 1f, 1, stats);
                rb.gradientStats(ref.floats(bad, n), 1f, 1, rs);
                long pp = emu.floats(p);
                long pm = emu.floats(m);
                long pv = emu.floats(v);
                k.adamUpdate(null, pp, emu.floats(bad), pm, pv, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 1, stats);
                k.sgdUpdate(null, pp, emu.floats(bad), pm, n, 0.1f, 0.9f, false, 0.01f, stats);
                assertArrayEquals(p, emu.readFloats(pp), "a flagged step changes no parameter");
                assertArrayEquals(m, emu.readFloats(pm), "nor any state");
                assertArrayEquals(v, emu.readFloats(pv), "nor any state");
            }
            k.gradientStats(null, emu.floats(g), n, parts, firstBad, 1f, 2, stats);   // clips: norm ~ sqrt(n)
            rb.gradientStats(ref.floats(g, n), 1f, 2, rs);
            long pp = emu.floats(p);
            long pm = emu.floats(m);
            long pv = emu.floats(v);
            k.adamUpdate(null, pp, emu.floats(g), pm, pv, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 2, stats);
            Tensor rp = ref.floats(p, n);
            Tensor rm = ref.floats(m, n);
            Tensor rv = ref.floats(v, n);
            rb.adamUpdate(rp, ref.floats(g, n), rm, rv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 2, rs);
            near("guarded adam param, skipped " + skipFirst, emu.readFloats(pp), RefTensors.values(rp));
            near("guarded adam m, skipped " + skipFirst, emu.readFloats(pm), RefTensors.values(rm));
            long sp = emu.floats(p);
            long sv = emu.floats(m);
            k.sgdUpdate(null, sp, emu.floats(g), sv, n, 0.1f, 0.9f, true, 0.01f, stats);
            Tensor rsp = ref.floats(p, n);
            Tensor rsv = ref.floats(m, n);
            rb.sgdUpdate(rsp, ref.floats(g, n), rsv, 0.1f, 0.9f, true, 0.01f, rs);
            near("guarded sgd param, skipped " + skipFirst, emu.readFloats(sp), RefTensors.values(rsp));
            near("guarded sgd velocity, skipped " + skipFirst, emu.readFloats(sv), RefTensors.values(rsv));
        }
    }

    private float[] randnCopy(long address, int n) {
        float[] all = emu.readFloats(address);
        return Arrays.copyOf(all, n);
    }

    @Test
    void argmaxAndCountCorrectWithIgnoredRows() {
        int rows = 45;
        int cols = 70;
        float[] x = randn(rows * cols, 1);
        Arrays.fill(x, 0, cols, 1f);                                      // row 0: all equal -> 0
        x[cols + 7] = 9f;                                                 // row 1: tie 7 / 40 -> 7
        x[cols + 40] = 9f;
        x[2 * cols] = Float.NaN;                                          // row 2: NaN first -> 0
        x[3 * cols + 33] = Float.NaN;                                     // row 3: the first NaN wins -> 33
        x[3 * cols + 60] = Float.NaN;
        Arrays.fill(x, 4 * cols, 5 * cols, Float.NEGATIVE_INFINITY);     // row 4: all -inf -> 0
        Tensor rx = ref.floats(x, rows, cols);
        Tensor rout = ref.be().allocate(DType.INT32, rows);
        rb.argmax(rx, rout);
        int[] want = RefTensors.ints(rout);
        assertEquals(33, want[3], "the reference lets the first NaN win");
        long px = emu.floats(x);
        long out = emu.ints(new int[rows]);
        k.argmaxRows(null, px, out, rows, cols);
        assertArrayEquals(want, emu.readInts(out));
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = r % 3 == 0 ? want[r] : r % 3 == 1 ? Backend.IGNORE_INDEX : (want[r] + 1) % cols;
        }
        labels[1] = want[1];   // right, and not ignored: counts
        Tensor racc = ref.floats(new float[] {2f}, 1);
        rb.countCorrect(rx, ref.ints(labels, rows), racc);
        long acc = emu.floats(new float[] {2f});
        k.countCorrect(null, px, emu.ints(labels), acc, rows, cols);
        assertEquals((float) RefTensors.values(racc)[0], emu.readFloats(acc)[0]);
        assertEquals(2f + 16, emu.readFloats(acc)[0], "rows 0, 3, ..., 42 and row 1; the ignored rows never count");
    }

    @Test
    void optimizers() {
        int n = 5000;
        for (boolean nesterov : new boolean[] {false, true}) {
            float[] p = randn(n, 1);
            float[] g = randn(n, 1);
            float[] v = randn(n, 1);
            long pp = emu.floats(p);
            long pv = emu.floats(v);
            k.sgdUpdate(null, pp, emu.floats(g), pv, n, 0.1f, 0.9f, nesterov, 0.01f, 0);
            Tensor rp = ref.floats(p, n);
            Tensor rv = ref.floats(v, n);
            rb.sgdUpdate(rp, ref.floats(g, n), rv, 0.1f, 0.9f, nesterov, 0.01f, null);
            near("sgd param", emu.readFloats(pp), RefTensors.values(rp));
            near("sgd velocity", emu.readFloats(pv), RefTensors.values(rv));
        }
        float[] p0 = randn(n, 1);
        float[] g0 = randn(n, 1);
        long pp0 = emu.floats(p0);
        k.sgdUpdate(null, pp0, emu.floats(g0), 0, n, 0.05f, 0f, false, 0f, 0);
        Tensor rp0 = ref.floats(p0, n);
        rb.sgdUpdate(rp0, ref.floats(g0, n), null, 0.05f, 0f, false, 0f, null);
        near("plain sgd", emu.readFloats(pp0), RefTensors.values(rp0));
        for (boolean decoupled : new boolean[] {false, true}) {
            float[] p = randn(n, 1);
            float[] g = randn(n, 1);
            float[] m = randn(n, 0.1);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) Math.abs(rnd.nextGaussian() * 0.01);
            }
            long pp = emu.floats(p);
            long pm = emu.floats(m);
            long pv = emu.floats(v);
            k.adamUpdate(null, pp, emu.floats(g), pm, pv, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7, 0);
            Tensor rp = ref.floats(p, n);
            Tensor rm = ref.floats(m, n);
            Tensor rv = ref.floats(v, n);
            rb.adamUpdate(rp, ref.floats(g, n), rm, rv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7, null);
            near("adam param", emu.readFloats(pp), RefTensors.values(rp));
            near("adam m", emu.readFloats(pm), RefTensors.values(rm));
            near("adam v", emu.readFloats(pv), RefTensors.values(rv));
        }
    }

    /**
     * The optimizers' bf16 copy: with {@code param16} the update is the same, bit for bit, and every parameter's copy is
     * the new value rounded to nearest even (what {@code f32_to_bf16} makes of it); under a guard that skips, neither
     * changes.
     */
    @Test
    void optimizersWriteTheirBf16Copy() {
        int n = 3000;
        float[] p = randn(n, 1);
        float[] g = randn(n, 1);
        float[] m = randn(n, 0.1);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.abs(rnd.nextGaussian() * 0.01);
        }
        for (String kind : new String[] {"momentum", "adamw"}) {
            long pa = emu.floats(p);
            long pb = emu.floats(p);
            long copy = emu.halves(n);
            long ma = emu.floats(m);
            long mb = emu.floats(m);
            long va = emu.floats(v);
            long vb = emu.floats(v);
            long pg = emu.floats(g);
            if (kind.equals("momentum")) {
                k.sgdUpdate(null, pa, pg, ma, n, 0.1f, 0.9f, false, 0.01f, 0);
                k.sgdUpdate(null, pb, pg, mb, n, 0.1f, 0.9f, false, 0.01f, 0, copy);
            } else {
                k.adamUpdate(null, pa, pg, ma, va, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 3, 0);
                k.adamUpdate(null, pb, pg, mb, vb, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 3, 0, copy);
            }
            float[] want = emu.readFloats(pa);
            float[] got = emu.readFloats(pb);
            short[] bits = emu.readHalves(copy);
            long rounded = emu.halves(n);
            k.toBf16(null, pb, rounded, n);
            short[] cast = emu.readHalves(rounded);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), kind + " param " + i);
                assertEquals(cast[i], bits[i], kind + " copy of param " + i + " (" + got[i] + ")");
            }
        }
        // skipped under a guard flagging a non-finite gradient: the copy keeps what it held (zeros here)
        float[] bad = g.clone();
        bad[5] = Float.NaN;
        long stats = emu.zeros(dev.quadrant.device.GradientStats.SIZE);
        long parts = emu.zeros(2 * dev.quadrant.kernels.Kernels.PARTIALS);
        long first = emu.zeros(2 * dev.quadrant.kernels.Kernels.PARTIALS);
        long pbad = emu.floats(bad);
        k.gradientStats(null, pbad, n, parts, first, 1f, 1, stats);
        long pp = emu.floats(p);
        long copy = emu.halves(n);
        k.sgdUpdate(null, pp, pbad, emu.floats(m), n, 0.1f, 0.9f, false, 0.01f, stats, copy);
        float[] after = emu.readFloats(pp);
        short[] bits = emu.readHalves(copy);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(p[i]), Float.floatToRawIntBits(after[i]), "skipped: param " + i);
            assertEquals(0, bits[i], "skipped: copy " + i);
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
        Tensor rh = ref.be().allocate(DType.BF16, x.length);
        rb.castToBf16(ref.floats(x, x.length), rh);
        double[] want = RefTensors.values(rh);
        short[] bits = emu.readHalves(h);
        float[] got = emu.readFloats(back);
        for (int i = 1; i < x.length; i++) {
            float w = (float) want[i];   // a bf16 value: exact in float
            assertEquals((short) (Float.floatToRawIntBits(w) >>> 16), bits[i], "bf16 bits of element " + i + " (" + x[i] + ")");
            assertEquals(Float.floatToRawIntBits(w), Float.floatToRawIntBits(got[i]), "back to float, element " + i);
        }
        assertTrue(Float.isNaN(got[0]) && Float.isNaN((float) want[0]), "NaN stays NaN");
        assertEquals(0x3f80, bits[4] & 0xffff);
        assertEquals(0x3f82, bits[5] & 0xffff);
    }
}
