package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.kernels.KernelCompiler;
import dev.quadrant.kernels.KernelFamily;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a GPU host ({@code mvn test -Dtest.excludedGroups= -Dgroups=gpu}): the self-test in every precision on every GPU,
 * NVRTC compiling every kernel family for the device with the disk cache, no device allocation in steady state, and the
 * sequence-model ops at a GPT-2-small step's sizes: bit-reproducible where the contract says so, and the loss over a
 * 50257-token vocabulary against the float64 reference; the image ops' backward gathers at a convnet layer's sizes;
 * the batch-norm ops at the ResNet shapes.
 */
@Tag("gpu")
class CudaBackendGpuTest {

    @BeforeEach
    void needsCuda() {
        CudaProbe.Result r = CudaProbe.get();
        Assumptions.assumeTrue(r.usable(), "CUDA not usable: " + r.reason());
    }

    @Test
    void selfTestPassesInEveryPrecision() {
        CudaInfo.describe().forEach(System.out::println);
        for (Precision p : Precision.values()) {
            List<SelfTest.Report> reports = SelfTest.runAllGpus(p);
            assertFalse(reports.isEmpty());
            for (SelfTest.Report r : reports) {
                r.lines().forEach(System.out::println);
                assertTrue(r.passed(), p + ": " + String.join("\n", r.lines()));
            }
        }
    }

    @Test
    void kernelsCompileForThisGpuAndCache(@TempDir Path dir) throws Exception {
        KernelCompiler kc = new KernelCompiler(dir, dev.quadrant.bindings.cuda.Nvrtc::compile, "nvrtc-test");
        dev.quadrant.bindings.cuda.Cuda.DeviceInfo info = dev.quadrant.bindings.cuda.Cuda.deviceInfo(0);
        KernelCompiler.Target t = KernelCompiler.Target.choose(info.major(), info.minor(),
                dev.quadrant.bindings.cuda.Nvrtc.supportedArchs());
        for (KernelFamily f : KernelFamily.values()) {
            KernelCompiler.Image img = kc.compile(f, t);
            assertFalse(img.fromCache());
            assertTrue(Files.size(img.cacheFile()) > 0);
            assertTrue(kc.compile(f, t).fromCache());
            System.out.println(f.file() + " -> " + img.bytes().length + " bytes " + t.archName()
                    + (img.log().isBlank() ? "" : " log: " + img.log()));
        }
        dev.quadrant.kernels.DeviceKernels dk = dev.quadrant.kernels.DeviceKernels.load(0, kc);
        assertEquals(KernelFamily.values().length, dk.images().size());
        assertTrue(dk.images().values().stream().allMatch(KernelCompiler.Image::fromCache));
    }

    @Test
    void steadyStateAllocatesNothing() {
        try (CudaBackend be = CudaBackend.open(Device.cuda(0), Precision.BF16)) {
            Runnable step = () -> {
                try (Tensor a = be.allocate(DType.FLOAT32, 64, 128); Tensor b = be.allocate(DType.FLOAT32, 32, 128);
                     Tensor c = be.allocate(DType.FLOAT32, 64, 32)) {
                    be.gemm(false, true, 1f, a, b, 0f, c);
                    be.activationForward(dev.quadrant.device.Activation.GELU, c, c);
                }
            };
            step.run();
            long before = be.deviceMallocCalls();
            for (int i = 0; i < 10; i++) {
                step.run();
            }
            be.synchronize();
            assertEquals(before, be.deviceMallocCalls(), "cudaMalloc calls after the first step");
        }
    }

    @Test
    void sequenceOpsAtModelSizesAreDeterministic() {
        int tokens = 8 * 1024;
        int vocab = 50257;
        int dim = 768;
        java.util.Random rnd = new java.util.Random(5);
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = rnd.nextInt(i % 3 == 0 ? 100 : vocab);   // frequent tokens repeat, as in text
        }
        float[] g = new float[tokens * dim];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) rnd.nextGaussian();
        }
        try (CudaBackend be = CudaBackend.open(Device.cuda(0), Precision.FP32);
             Tensor tids = be.allocate(DType.INT32, tokens); Tensor dOut = be.allocate(DType.FLOAT32, tokens, dim);
             Tensor t1 = be.allocate(DType.FLOAT32, vocab, dim); Tensor t2 = be.allocate(DType.FLOAT32, vocab, dim)) {
            be.upload(ids, 0, tids);
            be.upload(g, 0, dOut);
            be.embeddingBackward(tids, dOut, t1);
            be.embeddingBackward(tids, dOut, t2);
            float[] a = new float[vocab * dim];
            float[] b = new float[vocab * dim];
            be.download(t1, a, 0);
            be.download(t2, b, 0);
            assertTrue(java.util.Arrays.equals(a, b), "embeddingBackward: two runs differ");
            for (int i = 0; i < 100 * dim; i += 97) {   // the frequent rows against a float32 sequential sum
                float s = 0f;
                for (int p = 0; p < tokens; p++) {
                    if (ids[p] == i / dim) {
                        s += g[p * dim + i % dim];
                    }
                }
                assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(a[i]),
                        "element " + i + " is the increasing-position sum");
            }

            try (Tensor x = be.allocate(DType.FLOAT32, tokens, dim); Tensor gamma = be.allocate(DType.FLOAT32, dim);
                 Tensor mean = be.allocate(DType.FLOAT32, tokens); Tensor rstd = be.allocate(DType.FLOAT32, tokens);
                 Tensor y = be.allocate(DType.FLOAT32, tokens, dim); Tensor dx = be.allocate(DType.FLOAT32, tokens, dim);
                 Tensor dg1 = be.allocate(DType.FLOAT32, dim); Tensor db1 = be.allocate(DType.FLOAT32, dim);
                 Tensor dg2 = be.allocate(DType.FLOAT32, dim); Tensor db2 = be.allocate(DType.FLOAT32, dim)) {
                be.upload(g, 0, x);
                be.fill(gamma, 1.5f);
                be.layerNormForward(x, gamma, dg1, 1e-5f, y, mean, rstd);   // dg1 (zeros) as beta
                be.layerNormBackward(x, gamma, mean, rstd, dOut, dx, dg1, db1);
                be.layerNormBackward(x, gamma, mean, rstd, dOut, dx, dg2, db2);
                float[][] got = new float[4][dim];
                be.download(dg1, got[0], 0);
                be.download(dg2, got[1], 0);
                be.download(db1, got[2], 0);
                be.download(db2, got[3], 0);
                assertTrue(java.util.Arrays.equals(got[0], got[1]) && java.util.Arrays.equals(got[2], got[3]),
                        "layerNormBackward: dGamma/dBeta differ between two runs");
            }

            int rows = 64;
            float[] logits = new float[rows * vocab];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (rnd.nextGaussian() * 4);
            }
            int[] labels = new int[rows];
            for (int r = 0; r < rows; r++) {
                labels[r] = r % 4 == 3 ? dev.quadrant.device.Backend.IGNORE_INDEX : rnd.nextInt(vocab);
            }
            RefTensors ref = new RefTensors();
            Tensor rl = ref.zeros(rows);
            ref.be().softmaxCrossEntropyForward(ref.floats(logits, rows, vocab), ref.ints(labels, rows), rl);
            try (Tensor tl = be.allocate(DType.FLOAT32, rows, vocab); Tensor ty = be.allocate(DType.INT32, rows);
                 Tensor loss = be.allocate(DType.FLOAT32, rows)) {
                be.upload(logits, 0, tl);
                be.upload(labels, 0, ty);
                be.softmaxCrossEntropyForward(tl, ty, loss);
                float[] l = new float[rows];
                be.download(loss, l, 0);
                SelfTest.Checker.compare("softmax cross-entropy over 50257 classes", l, RefTensors.values(rl), 1e-5, null);
            }
        }
    }

    /**
     * The image ops at a convnet layer's sizes ({@code [32, 32, 32, 64]}, 3x3 "same" and 3x3 stride 2): every backward
     * (col2im, both poolings) gives the same bits twice, and sampled elements equal a float32 gather over their
     * windows in increasing window position, which is the order the kernels add in.
     */
    @Test
    void imageOpsAtConvnetSizesAreDeterministicGathers() {
        int[] img = {32, 32, 32, 64};
        int size = img[0] * img[1] * img[2] * img[3];
        java.util.Random rnd = new java.util.Random(9);
        try (CudaBackend be = CudaBackend.open(Device.cuda(0), Precision.FP32)) {
            for (Window2d w : new Window2d[] {Window2d.square(3, 1, 1), Window2d.square(3, 2, 1)}) {
                int ho = w.outHeight(img[1]);
                int wo = w.outWidth(img[2]);
                int rows = img[0] * ho * wo;
                int width = img[3] * 9;
                int[] os = {img[0], ho, wo, img[3]};
                float[] col = new float[rows * width];
                for (int i = 0; i < col.length; i++) {
                    col[i] = (float) rnd.nextGaussian();
                }
                float[] dy = Arrays.copyOf(col, rows * img[3]);
                try (Tensor tcol = be.allocate(DType.FLOAT32, rows, width); Tensor tdy = be.allocate(DType.FLOAT32, os);
                     Tensor x = be.allocate(DType.FLOAT32, img); Tensor y = be.allocate(DType.FLOAT32, os);
                     Tensor arg = be.allocate(DType.INT32, os); Tensor d1 = be.allocate(DType.FLOAT32, img);
                     Tensor d2 = be.allocate(DType.FLOAT32, img)) {
                    be.upload(col, 0, tcol);
                    be.upload(dy, 0, tdy);
                    be.upload(Arrays.copyOfRange(col, 7, 7 + size), 0, x);
                    be.maxPool2dForward(x, w, y, arg);
                    float[][] got = new float[3][];
                    for (int op = 0; op < 3; op++) {
                        float[] a = new float[size];
                        float[] b = new float[size];
                        for (int run = 0; run < 2; run++) {
                            Tensor d = run == 0 ? d1 : d2;
                            switch (op) {
                                case 0 -> be.col2im(tcol, w, d);
                                case 1 -> be.avgPool2dBackward(tdy, w, d);
                                default -> be.maxPool2dBackward(tdy, arg, w, d);
                            }
                            be.download(d, run == 0 ? a : b, 0);
                        }
                        assertTrue(Arrays.equals(a, b), w + " backward " + op + ": two runs differ");
                        got[op] = a;
                    }
                    for (int e = 0; e < size; e += 4099) {   // col2im and the average backward against a gather
                        int c = e % img[3];
                        int ix = e / img[3] % img[2];
                        int iy = e / img[3] / img[2] % img[1];
                        int n = e / img[3] / img[2] / img[1];
                        float s = 0f;
                        float t = 0f;
                        for (int oy = 0; oy < ho; oy++) {
                            for (int ox = 0; ox < wo; ox++) {
                                int ky = iy + w.ph() - oy * w.sh();
                                int kx = ix + w.pw() - ox * w.sw();
                                if (ky >= 0 && ky < 3 && kx >= 0 && kx < 3) {
                                    int r = (n * ho + oy) * wo + ox;
                                    s += col[r * width + (c * 3 + ky) * 3 + kx];
                                    t += dy[r * img[3] + c];
                                }
                            }
                        }
                        assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(got[0][e]), w + " col2im " + e);
                        assertEquals(Float.floatToRawIntBits(t / 9f), Float.floatToRawIntBits(got[1][e]),
                                w + " avgPool2dBackward " + e);
                    }
                }
            }
        }
    }
    /**
     * The batch-norm ops at the ResNet shapes (128 images of 28 x 28 x 16 and of 7 x 7 x 64, channels last): the
     * reductions give the same bits twice, and every result is within the conformance bounds of the CPU backend, which
     * sums in double ((m + 8) eps relative for a sum over the m positions, 1e-5 for the element-wise results).
     */
    @Test
    void batchNormAtResNetShapesIsDeterministicAndMatchesTheCpu() {
        java.util.Random rnd = new java.util.Random(17);
        for (int[] s : new int[][] {{128 * 28 * 28, 16}, {128 * 7 * 7, 64}}) {
            int m = s[0];
            int c = s[1];
            float[] x = new float[m * c];
            float[] dy = new float[m * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 1.5 + (i % c) * 0.1);
                dy[i] = (float) rnd.nextGaussian();
            }
            float[] gamma = new float[c];
            Arrays.fill(gamma, 1.25f);
            String what = "batch norm [" + m + ", " + c + "]";
            float[][] gpu = batchNormStep(CudaBackend.open(Device.cuda(0), Precision.FP32), x, dy, gamma, m, c);
            float[][] again = batchNormStep(CudaBackend.open(Device.cuda(0), Precision.FP32), x, dy, gamma, m, c);
            float[][] cpu = batchNormStep(new dev.quadrant.device.cpu.CpuBackend(4), x, dy, gamma, m, c);
            String[] names = {"sum", "sqSum", "y", "sums", "dx"};
            for (int k = 0; k < names.length; k++) {
                if (k != 2 && k != 4) {
                    assertTrue(Arrays.equals(gpu[k], again[k]), what + " " + names[k] + ": two runs differ");
                }
                double[] want = new double[cpu[k].length];
                for (int i = 0; i < want.length; i++) {
                    want[i] = cpu[k][i];
                }
                double tol = k == 2 || k == 4 ? 1e-5 : (m + 8) * 0x1p-23;
                System.out.println(SelfTest.Checker.compare(what + " " + names[k], gpu[k], want, tol, null));
            }
        }
    }

    /** {@code {sum, sqSum, y, sums, dx}} of one training step's batch-norm ops on {@code be}, which it closes. */
    private static float[][] batchNormStep(dev.quadrant.device.Backend be, float[] x, float[] dy, float[] gamma, int m,
                                           int c) {
        try (be; Tensor tx = be.allocate(DType.FLOAT32, m, c); Tensor tdy = be.allocate(DType.FLOAT32, m, c);
             Tensor tg = be.allocate(DType.FLOAT32, c); Tensor tb = be.allocate(DType.FLOAT32, c);
             Tensor sum = be.allocate(DType.FLOAT32, c); Tensor sq = be.allocate(DType.FLOAT32, c);
             Tensor y = be.allocate(DType.FLOAT32, m, c); Tensor sums = be.allocate(DType.FLOAT32, 2, c)) {
            be.upload(x, 0, tx);
            be.upload(dy, 0, tdy);
            be.upload(gamma, 0, tg);
            be.fill(tb, 0.5f);
            be.columnSums(tx, 0f, sum);
            be.centeredSquareSums(tx, sum, m, sq);
            be.batchNormForward(tx, sum, sq, m, 1e-5f, tg, tb, y);
            be.batchNormBackwardSums(tx, sum, sq, m, 1e-5f, tdy, sums);
            be.batchNormBackward(tx, sum, sq, m, 1e-5f, tg, sums, tdy, tdy);
            float[][] out = {new float[c], new float[c], new float[m * c], new float[2 * c], new float[m * c]};
            Tensor[] ts = {sum, sq, y, sums, tdy};
            for (int k = 0; k < ts.length; k++) {
                be.download(ts[k], out[k], 0);
            }
            return out;
        }
    }
}
