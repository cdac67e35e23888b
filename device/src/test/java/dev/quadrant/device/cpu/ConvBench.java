package dev.quadrant.device.cpu;

import static dev.quadrant.device.cpu.CpuLoopBench.time;

import java.util.Locale;
import java.util.Random;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * Benchmark (not a test): a convolution as im2col + GEMM on the CPU backend at LeNet-5's layer shapes, batch 128,
 * channels-last: conv1 {@code [128, 28, 28, 1] -> 6} channels 5x5 padding 2 (28x28 out), conv2
 * {@code [128, 14, 14, 6] -> 16} channels 5x5 padding 0 (10x10 out), and the 2x2 max pooling after each. Prints, for
 * 1 and 2 threads, the time of each step of the forward ({@code im2col}, {@code y = col W^T}) and the backward
 * ({@code dW = dy^T col}, {@code dcol = dy W}, {@code col2im}) and the pooling, in ms per call, and the GEMMs'
 * GFLOP/s.
 *
 * <p>Measured 2026-12-01 on the shared 2-core build host (load average 5 to 30 from other builds, so +-30%;
 * ms per call, batch 128):
 * <pre>
 *                     1 thread                          2 threads
 * step            conv1 (28x28x1->6)  conv2 (14x14x6->16)  conv1   conv2
 * im2col               2.2                 1.8              2.2     1.8
 * y = col W^T          0.8 (39 GFLOP/s)    0.7 (93)         6.1     0.8
 * dW = dy^T col        2.0 (15)            1.2 (51)       4-30     1.4-8
 * dcol = dy W          0.6 (55)            0.6 (97)         0.3     0.3
 * col2im               2.6                 2.2              3.5     2.2
 * maxPool 2x2 fwd      2.5                 0.8              2.6     0.8
 * maxPool 2x2 bwd      1.0                 0.35             1.1     0.34
 * </pre>
 * So im2col and col2im cost 2-4x their GEMMs at these skinny shapes (K = 25 or 150, 6 or 16 outputs): the layer is
 * memory-bound, a training step of both layers is ~15 ms on one thread. Before the band/bulk-put loops im2col of
 * conv1 took 11 ms, col2im 9 ms, max pooling 3.1 forward and 4.7 backward (per-pixel gathers). col2im varies the
 * most between runs here (2.6 to 7 ms for conv1). OpenBLAS on 2 threads slows the skinny conv1 GEMMs down (6 ms
 * against 0.8 for {@code [100352, 25] x [25, 6]}) on this host: a conv module may want to split such GEMMs over the
 * pool by rows, as {@code gemmBatched} does for small matrices.
 *
 * <pre>
 * mvn -q -B -o -pl device -am test-compile
 * java -cp device/target/test-classes:device/target/classes:... dev.quadrant.device.cpu.ConvBench
 * </pre>
 */
public final class ConvBench {
    private ConvBench() {}

    public static void main(String[] args) {
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                System.out.println("threads " + threads + "       step          ms/call   GFLOP/s");
                layer(be, "conv1", 128, 28, 28, 1, 6, Window2d.square(5, 1, 2));
                layer(be, "conv2", 128, 14, 14, 6, 16, Window2d.square(5, 1, 0));
            }
        }
    }

    private static void layer(CpuBackend be, String name, int n, int h, int w, int c, int out, Window2d win) {
        int ho = win.outHeight(h);
        int wo = win.outWidth(w);
        int rows = n * ho * wo;
        int k = c * win.kh() * win.kw();
        Random r = new Random(7);
        try (Tensor x = randn(be, r, n, h, w, c); Tensor col = be.allocate(DType.FLOAT32, rows, k);
             Tensor wt = randn(be, r, out, k); Tensor y = be.allocate(DType.FLOAT32, rows, out);
             Tensor dy = randn(be, r, rows, out); Tensor dw = be.allocate(DType.FLOAT32, out, k);
             Tensor dcol = be.allocate(DType.FLOAT32, rows, k); Tensor dx = be.allocate(DType.FLOAT32, n, h, w, c)) {
            double gemmFlops = 2.0 * rows * out * k;
            String label = name + " " + n + "x" + h + "x" + w + "x" + c + "->" + out;
            report(label, "im2col", time(() -> be.im2col(x, win, col), rows * k), 0);
            report(label, "y = col W^T", time(() -> be.gemm(false, true, 1f, col, wt, 0f, y), rows * k), gemmFlops);
            report(label, "dW = dy^T col", time(() -> be.gemm(true, false, 1f, dy, col, 0f, dw), rows * k), gemmFlops);
            report(label, "dcol = dy W", time(() -> be.gemm(false, false, 1f, dy, wt, 0f, dcol), rows * k), gemmFlops);
            report(label, "col2im", time(() -> be.col2im(dcol, win, dx), rows * k), 0);
            Window2d pool = Window2d.square(2, 2, 0);
            int[] pooled = {n, ho / 2, wo / 2, out};
            try (Tensor img = y.reshape(n, ho, wo, out); Tensor py = be.allocate(DType.FLOAT32, pooled);
                 Tensor pa = be.allocate(DType.INT32, pooled);
                 Tensor pdx = be.allocate(DType.FLOAT32, n, ho, wo, out)) {
                report(label, "maxPool fwd", time(() -> be.maxPool2dForward(img, pool, py, pa), rows * out), 0);
                report(label, "maxPool bwd", time(() -> be.maxPool2dBackward(py, pa, pool, pdx), rows * out), 0);
            }
        }
    }

    private static Tensor randn(CpuBackend be, Random r, int... shape) {
        Tensor t = be.allocate(DType.FLOAT32, shape);
        float[] v = new float[t.intSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        be.upload(v, 0, t);
        return t;
    }

    private static void report(String layer, String step, double ns, double flops) {
        System.out.printf(Locale.ROOT, "  %-22s %-14s %8.3f   %s%n", layer, step, ns / 1e6,
                flops > 0 ? String.format(Locale.ROOT, "%7.2f", flops / ns) : "");
    }
}
