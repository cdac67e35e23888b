package dev.quadrant.device.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.DropoutHash;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cpu.Bf16;

/**
 * The reference pinned by hand: small cases worked out on paper, the semantics the Backend Javadoc leaves open, the
 * bf16 rounding against the bit trick of {@link Bf16}, and every backward against float64 central differences of its
 * forward (so the reference's gradients do not rest on the formulas they were written from).
 */
class ReferenceBackendTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    private Tensor t(double[] v, int... shape) {
        Tensor x = ref.allocate(DType.FLOAT32, shape);
        ReferenceBackend.setValues(x, v);
        return x;
    }

    private Tensor ids(int... v) {
        Tensor x = ref.allocate(DType.INT32, v.length);
        ref.upload(v, 0, x);
        return x;
    }

    @Test
    void keepsDoublesBetweenOpsAndNarrowsOnDownload() {
        try (Tensor x = t(new double[] {1 + 1e-12, 2}, 2); Tensor y = t(new double[] {0, 0}, 2)) {
            ref.axpy(1f, x, y);
            assertArrayEquals(new double[] {1 + 1e-12, 2}, ReferenceBackend.values(y));
            float[] host = new float[3];
            ref.download(y, host, 1);
            assertArrayEquals(new float[] {0f, 1f, 2f}, host);
            ReferenceBackend.setValue(y, 1, 0.1);
            assertEquals(0.1, ReferenceBackend.value(y, 1));
            assertEquals("reference (float64)", ref.describe());
        }
    }

    @Test
    void gemmAllTranspositionsAndBetaZeroDoesNotReadC() {
        // a = [[1, 2], [3, 4]], b = [[5, 6], [7, 8]]: a b = [[19, 22], [43, 50]], a^T b = [[26, 30], [38, 44]],
        // a b^T = [[17, 23], [39, 53]], a^T b^T = [[23, 31], [34, 46]]
        double[][] want = {{19, 22, 43, 50}, {26, 30, 38, 44}, {17, 23, 39, 53}, {23, 31, 34, 46}};
        try (Tensor a = t(new double[] {1, 2, 3, 4}, 2, 2); Tensor b = t(new double[] {5, 6, 7, 8}, 2, 2);
             Tensor c = ref.allocate(DType.FLOAT32, 2, 2)) {
            for (int tr = 0; tr < 4; tr++) {
                ReferenceBackend.setValues(c, new double[] {Double.NaN, 1, 1, 1});
                ref.gemm((tr & 1) != 0, (tr & 2) != 0, 1f, a, b, 0f, c);
                assertArrayEquals(want[tr], ReferenceBackend.values(c), "transposition case " + tr);
            }
            ReferenceBackend.setValues(c, new double[] {1, 1, 1, 1});
            ref.gemm(false, false, 0.5f, a, b, -2f, c);
            assertArrayEquals(new double[] {7.5, 9, 19.5, 23}, ReferenceBackend.values(c));
        }
        try (Tensor a = t(new double[] {1, 2, 3, 4, 1, 0, 0, 1}, 2, 2, 2); Tensor b = t(new double[] {5, 6, 7, 8, 9, 8, 7, 6}, 2, 2, 2);
             Tensor c = ref.allocate(DType.FLOAT32, 2, 2, 2)) {
            ref.gemmBatched(false, false, 1f, a, b, 0f, c);
            assertArrayEquals(new double[] {19, 22, 43, 50, 9, 8, 7, 6}, ReferenceBackend.values(c));
        }
    }

    @Test
    void pinnedSemanticsReluNanArgmaxColumnSums() {
        try (Tensor x = t(new double[] {Double.NaN, -1, 2}, 3); Tensor y = ref.allocate(DType.FLOAT32, 3)) {
            ref.activationForward(Activation.RELU, x, y);
            double[] v = ReferenceBackend.values(y);
            assertTrue(Double.isNaN(v[0]), "ReLU keeps NaN");
            assertEquals(0, v[1]);
            assertEquals(2, v[2]);
        }
        try (Tensor x = t(new double[] {1, 5, 5, 0, Double.NaN, Double.NaN, 3, 2, Double.NaN}, 3, 3);
             Tensor out = ref.allocate(DType.INT32, 3)) {
            ref.argmax(x, out);
            assertArrayEquals(new int[] {1, 1, 2}, ReferenceBackend.ints(out), "first max, first NaN; a NaN beats numbers");
        }
        try (Tensor x = t(new double[] {1, 2, 3, 4}, 2, 2); Tensor out = t(new double[] {Double.NaN, Double.NaN}, 2)) {
            ref.columnSums(x, 0f, out);
            assertArrayEquals(new double[] {4, 6}, ReferenceBackend.values(out), "beta 0 does not read the old output");
        }
    }

    @Test
    void bf16RoundsToNearestEvenOverflowsToInfinityAndAgreesWithTheBitTrick() {
        int[] specials = {0x3F80_8000, 0x3F81_8000, 0xBF81_8000, 0x3F80_7FFF, 0x7F7F_8000, 0x7F7F_7FFF, 0x7F7F_FFFF,
            0xFF7F_FFFF, 0x7F80_0000, 0x0000_8000, 0x0001_8000, 0x0000_0001, 0x8000_8001, 0x8000_0000, 0x007F_FFFF};
        int[] want = {0x3F80, 0x3F82, 0xBF82, 0x3F80, 0x7F80, 0x7F7F, 0x7F80, 0xFF80, 0x7F80, 0x0000, 0x0002, 0x0000,
            0x8001, 0x8000, 0x0080};
        Random r = new Random(5);
        int n = specials.length + 200_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i < specials.length ? Float.intBitsToFloat(specials[i]) : Float.intBitsToFloat(r.nextInt());
        }
        try (Tensor src = ref.allocate(DType.FLOAT32, n); Tensor h = ref.allocate(DType.BF16, n);
             Tensor back = ref.allocate(DType.FLOAT32, n)) {
            ref.upload(x, 0, src);
            ref.castToBf16(src, h);
            ref.castFromBf16(h, back);
            float[] got = new float[n];
            ref.download(back, got, 0);
            for (int i = 0; i < n; i++) {
                int bits = Float.floatToRawIntBits(got[i]);
                if (Float.isNaN(x[i])) {
                    assertTrue(Float.isNaN(got[i]), "NaN stays NaN at " + i);
                    continue;
                }
                assertEquals(0, bits & 0xFFFF, "element " + i + " is a bf16 value");
                int expected = i < specials.length ? want[i] : Bf16.fromFloat(x[i]) & 0xFFFF;
                assertEquals(Integer.toHexString(expected), Integer.toHexString(bits >>> 16),
                        "element " + i + " = " + x[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
            }
            ReferenceBackend.setValues(h.slice(0, 1), new double[] {1 + 0x1p-9});   // a write to BF16 rounds
            assertEquals(1.0, ReferenceBackend.value(h, 0));
        }
    }

    @Test
    void ignoreIndexRowsHaveNoLossNoGradientAndNeverCount() {
        int i = Backend.IGNORE_INDEX;
        try (Tensor x = t(new double[] {0, 0, 9, 0, 0, 0}, 2, 3); Tensor y = ids(i, 2);
             Tensor loss = ref.allocate(DType.FLOAT32, 2); Tensor d = ref.allocate(DType.FLOAT32, 2, 3);
             Tensor acc = t(new double[] {1}, 1)) {
            ref.softmaxCrossEntropyForward(x, y, loss);
            assertArrayEquals(new double[] {0, Math.log(3)}, ReferenceBackend.values(loss), 1e-15);
            ref.softmaxCrossEntropyBackward(x, y, 1f, d);
            double third = 1.0 / 3;
            assertArrayEquals(new double[] {0, 0, 0, third, third, third - 1}, ReferenceBackend.values(d), 1e-15);
            ref.countCorrect(x, y, acc);
            assertArrayEquals(new double[] {1}, ReferenceBackend.values(acc), "row 0 (argmax 2) is ignored, row 1 wrong");
            try (Tensor bad = ids(0, 3)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> ref.softmaxCrossEntropyForward(x, bad, loss));
                assertTrue(e.getMessage().contains("labels[1] = 3"), e.getMessage());
            }
        }
    }

    @Test
    void dropoutMaskElementIHashesFirstIndexPlusI() {
        try (Tensor m = ref.allocate(DType.FLOAT32, 50)) {
            ref.dropoutMask(m, 0.25f, 9L, 1000L);
            double[] v = ReferenceBackend.values(m);
            for (int i = 0; i < 50; i++) {
                assertEquals(DropoutHash.uniform(9L, 1000L + i) < 0.25f ? 0 : 1 / (1 - 0.25), v[i], "element " + i);
            }
        }
    }

    @Test
    void embeddingGathersAndScatterAddsRepeatedIdsSkippingInvalidOnes() {
        try (Tensor table = t(new double[] {1, 2, 3, 4, 5, 6}, 3, 2); Tensor id = ids(2, 0, 7, 2, -1);
             Tensor out = ref.allocate(DType.FLOAT32, 5, 2); Tensor dTable = t(new double[] {1, 1, 1, 1, 1, 1}, 3, 2);
             Tensor dOut = t(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 2)) {
            ref.embeddingForward(table, id, out);
            assertArrayEquals(new double[] {5, 6, 1, 2, 0, 0, 5, 6, 0, 0}, ReferenceBackend.values(out));
            ref.embeddingBackward(id, dOut, dTable);
            assertArrayEquals(new double[] {4, 5, 1, 1, 9, 11}, ReferenceBackend.values(dTable));
        }
    }

    @Test
    void layerNormAndCausalSoftmaxByHand() {
        try (Tensor x = t(new double[] {1, 2, 3, 4}, 1, 4); Tensor g = t(new double[] {1, 1, 2, 1}, 4);
             Tensor b = t(new double[] {0, 0, 0, 1}, 4); Tensor y = ref.allocate(DType.FLOAT32, 1, 4);
             Tensor mean = ref.allocate(DType.FLOAT32, 1); Tensor rstd = ref.allocate(DType.FLOAT32, 1)) {
            ref.layerNormForward(x, g, b, 0f, y, mean, rstd);
            double rs = 1 / Math.sqrt(1.25);
            assertArrayEquals(new double[] {2.5}, ReferenceBackend.values(mean));
            assertArrayEquals(new double[] {rs}, ReferenceBackend.values(rstd), 1e-15);
            assertArrayEquals(new double[] {-1.5 * rs, -0.5 * rs, 1.0 * rs, 1.5 * rs + 1}, ReferenceBackend.values(y), 1e-15);
        }
        try (Tensor s = t(new double[] {3, 7, 7, 0, Math.log(3), 9, 1, 1, 1}, 1, 3, 3)) {
            ref.causalSoftmaxForward(s, s);
            assertArrayEquals(new double[] {1, 0, 0, 0.25, 0.75, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3},
                    ReferenceBackend.values(s), 1e-15);
        }
    }

    @Test
    void batchNormByHand() {
        // one channel, x = [1, 1, 3, 3]: sum 8, mean 2, deviations +-1, sqSum 4, var 1, rstd 1 (eps 0), xhat = [-1, -1,
        // 1, 1]; gamma 2, beta 1: y = [-1, -1, 3, 3]. dy = [1, 0, 0, 3]: sums = [4, 2]; dx = 2 (dy - 1 - xhat / 2).
        try (Tensor x = t(new double[] {1, 1, 3, 3}, 4, 1); Tensor sum = t(new double[] {8}, 1);
             Tensor sq = ref.allocate(DType.FLOAT32, 1); Tensor g = t(new double[] {2}, 1);
             Tensor b = t(new double[] {1}, 1); Tensor y = ref.allocate(DType.FLOAT32, 4, 1);
             Tensor dy = t(new double[] {1, 0, 0, 3}, 4, 1); Tensor sums = ref.allocate(DType.FLOAT32, 2, 1);
             Tensor dx = ref.allocate(DType.FLOAT32, 4, 1); Tensor rm = t(new double[] {0}, 1);
             Tensor rv = t(new double[] {1}, 1)) {
            ref.centeredSquareSums(x, sum, 4f, sq);
            assertArrayEquals(new double[] {4}, ReferenceBackend.values(sq));
            ref.batchNormForward(x, sum, sq, 4f, 0f, g, b, y);
            assertArrayEquals(new double[] {-1, -1, 3, 3}, ReferenceBackend.values(y), 1e-15);
            ref.batchNormBackwardSums(x, sum, sq, 4f, 0f, dy, sums);
            assertArrayEquals(new double[] {4, 2}, ReferenceBackend.values(sums), 1e-15);
            ref.batchNormBackward(x, sum, sq, 4f, 0f, g, sums, dy, dx);
            assertArrayEquals(new double[] {1, -1, -3, 3}, ReferenceBackend.values(dx), 1e-15);
            ref.batchNormRunningUpdate(sum, sq, 4f, 0.5f, rm, rv);   // mean 0.5 * 2, var 0.5 * 1 + 0.5 * 4 / 3
            assertArrayEquals(new double[] {1}, ReferenceBackend.values(rm), 1e-15);
            assertArrayEquals(new double[] {0.5 + 2.0 / 3}, ReferenceBackend.values(rv), 1e-15);
            ref.batchNormForward(x, rm, rv, 1f, 0f, g, b, y);   // evaluation: count 1, the running statistics
            double rs = 1 / Math.sqrt(0.5 + 2.0 / 3);
            assertArrayEquals(new double[] {1, 1, 1 + 4 * rs, 1 + 4 * rs}, ReferenceBackend.values(y), 1e-15);
        }
    }

    /**
     * The batch-norm backward is the gradient of the training forward with its statistics taken from the batch
     * ({@code sum = columnSums(x)}, {@code sqSum = centeredSquareSums(x, sum)}): central differences of
     * {@code L = sum dy * y} over x, and {@code sums} are {@code dL/dBeta} and {@code dL/dGamma}.
     */
    @Test
    void batchNormBackwardIsTheGradientThroughTheBatchStatistics() {
        int m = 5;
        int c = 3;
        Random r = new Random(8);
        double[] x = new double[m * c];
        double[] dy = new double[m * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian() * 2 + i % c;
            dy[i] = r.nextGaussian();
        }
        double[] gamma = {1.5, -0.5, 2};
        double[] beta = {0.1, 0.2, 0.3};
        float eps = 1e-3f;
        java.util.function.BiFunction<double[], double[][], Double> loss = (xv, gb) -> {
            Tensor tx = t(xv, m, c);
            Tensor sum = ref.allocate(DType.FLOAT32, c);
            Tensor sq = ref.allocate(DType.FLOAT32, c);
            Tensor y = ref.allocate(DType.FLOAT32, m, c);
            ref.columnSums(tx, 0f, sum);
            ref.centeredSquareSums(tx, sum, m, sq);
            ref.batchNormForward(tx, sum, sq, m, eps, t(gb[0], c), t(gb[1], c), y);
            double l = 0;
            double[] yv = ReferenceBackend.values(y);
            for (int i = 0; i < yv.length; i++) {
                l += dy[i] * yv[i];
            }
            return l;
        };
        Tensor tx = t(x, m, c);
        Tensor sum = ref.allocate(DType.FLOAT32, c);
        Tensor sq = ref.allocate(DType.FLOAT32, c);
        ref.columnSums(tx, 0f, sum);
        ref.centeredSquareSums(tx, sum, m, sq);
        Tensor sums = ref.allocate(DType.FLOAT32, 2, c);
        ref.batchNormBackwardSums(tx, sum, sq, m, eps, t(dy, m, c), sums);
        Tensor dx = ref.allocate(DType.FLOAT32, m, c);
        ref.batchNormBackward(tx, sum, sq, m, eps, t(gamma, c), sums, t(dy, m, c), dx);
        double[] got = ReferenceBackend.values(dx);
        double[] s = ReferenceBackend.values(sums);
        double h = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double[] up = x.clone();
            double[] down = x.clone();
            up[i] += h;
            down[i] -= h;
            double fd = (loss.apply(up, new double[][] {gamma, beta}) - loss.apply(down, new double[][] {gamma, beta}))
                    / (2 * h);
            assertEquals(fd, got[i], 1e-6 * (1 + Math.abs(fd)), "dx[" + i + "]");
        }
        for (int j = 0; j < c; j++) {
            double[] gUp = gamma.clone();
            double[] gDown = gamma.clone();
            gUp[j] += h;
            gDown[j] -= h;
            double dGamma = (loss.apply(x, new double[][] {gUp, beta}) - loss.apply(x, new double[][] {gDown, beta}))
                    / (2 * h);
            double[] bUp = beta.clone();
            double[] bDown = beta.clone();
            bUp[j] += h;
            bDown[j] -= h;
            double dBeta = (loss.apply(x, new double[][] {gamma, bUp}) - loss.apply(x, new double[][] {gamma, bDown}))
                    / (2 * h);
            assertEquals(dBeta, s[j], 1e-6 * (1 + Math.abs(dBeta)), "sums[0, " + j + "] = dBeta");
            assertEquals(dGamma, s[c + j], 1e-6 * (1 + Math.abs(dGamma)), "sums[1, " + j + "] = dGamma");
        }
    }

    @Test
    void permuteMovesEveryElementWhereNumpyTransposeWould() {
        int[] shape = {2, 3, 3, 2, 2};   // [B, T, 3, H, hd]
        int n = 72;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        try (Tensor x = t(v, shape); Tensor y = ref.allocate(DType.FLOAT32, 3, 2, 2, 3, 2)) {
            ref.permute(x, new int[] {2, 0, 3, 1, 4}, y);
            double[] got = ReferenceBackend.values(y);
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 3; t++) {
                    for (int c = 0; c < 3; c++) {
                        for (int h = 0; h < 2; h++) {
                            for (int d = 0; d < 2; d++) {
                                double want = (((b * 3 + t) * 3 + c) * 2 + h) * 2 + d;
                                assertEquals(want, got[(((c * 2 + b) * 2 + h) * 3 + t) * 2 + d]);
                            }
                        }
                    }
                }
            }
        }
        try (Tensor x = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3); Tensor y = ref.allocate(DType.FLOAT32, 3, 2)) {
            ref.permute(x, new int[] {1, 0}, y);
            assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, ReferenceBackend.values(y));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ref.permute(x, new int[] {0, 0}, y));
            assertTrue(e.getMessage().contains("perm"), e.getMessage());
        }
    }

    /** Each backward against central differences of {@code L = sum(w * forward(x))} in float64. */
    @Test
    void backwardsMatchFiniteDifferencesOfTheirForwards() {
        Random r = new Random(3);
        int rows = 3;
        int d = 5;
        double[] xv = gaussian(r, rows * d);
        double[] w = gaussian(r, rows * d);
        double[] gv = gaussian(r, d);
        try (Tensor x = t(xv, rows, d); Tensor g = t(gv, d); Tensor b = t(gaussian(r, d), d);
             Tensor y = ref.allocate(DType.FLOAT32, rows, d); Tensor mean = ref.allocate(DType.FLOAT32, rows);
             Tensor rstd = ref.allocate(DType.FLOAT32, rows); Tensor dy = t(w, rows, d);
             Tensor dx = ref.allocate(DType.FLOAT32, rows, d); Tensor dg = ref.allocate(DType.FLOAT32, d);
             Tensor db = ref.allocate(DType.FLOAT32, d)) {
            Supplier<Double> loss = () -> {
                ref.layerNormForward(x, g, b, 1e-5f, y, mean, rstd);
                return dot(w, ReferenceBackend.values(y));
            };
            loss.get();
            ref.layerNormBackward(x, g, mean, rstd, dy, dx, dg, db);
            assertGradient("layerNorm dx", x, loss, ReferenceBackend.values(dx));
            assertGradient("layerNorm dGamma", g, loss, ReferenceBackend.values(dg));
            assertGradient("layerNorm dBeta", b, loss, ReferenceBackend.values(db));
        }
        int t = 4;
        double[] wp = gaussian(r, 2 * t * t);
        try (Tensor s = t(gaussian(r, 2 * t * t), 2, t, t); Tensor p = ref.allocate(DType.FLOAT32, 2, t, t);
             Tensor dp = t(wp, 2, t, t); Tensor ds = ref.allocate(DType.FLOAT32, 2, t, t)) {
            Supplier<Double> loss = () -> {
                ref.causalSoftmaxForward(s, p);
                return dot(wp, ReferenceBackend.values(p));
            };
            loss.get();
            ref.causalSoftmaxBackward(p, dp, ds);
            assertGradient("causalSoftmax", s, loss, ReferenceBackend.values(ds));
        }
        try (Tensor logits = t(gaussian(r, 12), 3, 4); Tensor y = ids(1, Backend.IGNORE_INDEX, 3);
             Tensor l = ref.allocate(DType.FLOAT32, 3); Tensor dl = ref.allocate(DType.FLOAT32, 3, 4)) {
            Supplier<Double> loss = () -> {
                ref.softmaxCrossEntropyForward(logits, y, l);
                return ElementwiseOps.sum(ReferenceBackend.values(l)) * 0.5;
            };
            ref.softmaxCrossEntropyBackward(logits, y, 0.5f, dl);
            assertGradient("softmaxCrossEntropy", logits, loss, ReferenceBackend.values(dl));
        }
    }

    private static void assertGradient(String what, Tensor x, Supplier<Double> loss, double[] grad) {
        double h = 1e-6;
        for (int i = 0; i < grad.length; i++) {
            double v = ReferenceBackend.value(x, i);
            ReferenceBackend.setValue(x, i, v + h);
            double up = loss.get();
            ReferenceBackend.setValue(x, i, v - h);
            double down = loss.get();
            ReferenceBackend.setValue(x, i, v);
            double fd = (up - down) / (2 * h);
            assertEquals(fd, grad[i], 1e-7 * (1 + Math.abs(fd)), what + " element " + i);
        }
        loss.get();
    }

    @Test
    void viewsAtOffsetsLeaveTheirNeighboursAlone() {
        try (Tensor buf = t(new double[] {-7, 1, 2, 3, 4, -7, 1, 1, -7}, 9)) {
            Tensor x = buf.view(1, 2, 2);
            Tensor bias = buf.view(6, 2);
            ref.addBias(x, bias);
            ref.scale(x, 2f);
            assertArrayEquals(new double[] {-7, 4, 6, 8, 10, -7, 1, 1, -7}, ReferenceBackend.values(buf));
        }
    }

    @Test
    void rejectsWrongShapesForeignTensorsAndUseAfterClose() {
        try (Tensor a = ref.allocate(DType.FLOAT32, 2, 3, 4); Tensor b = ref.allocate(DType.FLOAT32, 2, 5, 4);
             Tensor c = ref.allocate(DType.FLOAT32, 2, 3, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ref.gemmBatched(false, false, 1f, a, b, 0f, c));
            assertTrue(e.getMessage().contains("b has shape [2, 5, 4]"), e.getMessage());
        }
        try (dev.quadrant.device.cpu.CpuBackend cpu = new dev.quadrant.device.cpu.CpuBackend(1);
             Tensor foreign = cpu.allocate(DType.FLOAT32, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ref.scale(foreign, 2f));
            assertTrue(e.getMessage().contains("not a ReferenceBackend tensor"), e.getMessage());
        }
        ReferenceBackend other = new ReferenceBackend();
        Tensor x = other.allocate(DType.FLOAT32, 2);
        x.close();
        assertThrows(IllegalStateException.class, () -> other.l2Norm(x));
        other.close();
        assertThrows(IllegalStateException.class, () -> other.allocate(DType.FLOAT32, 1));
        assertFalse(ref.allFinite(t(new double[] {1, Double.POSITIVE_INFINITY}, 2)));
    }

    private static double[] gaussian(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
