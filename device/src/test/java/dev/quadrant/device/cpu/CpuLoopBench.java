package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Benchmark (not a test): how many elements a CPU loop needs before splitting it over the pool pays, and what the
 * main loops cost per element. Prints, for each loop and size, the time inline (1 thread) and split over 2 threads
 * with no grain, and their ratio; the grain is where the ratio passes ~1.3.
 *
 * <pre>
 * mvn -q -B -o -pl device -am test-compile
 * java -cp device/target/test-classes:device/target/classes:... dev.quadrant.device.cpu.CpuLoopBench
 * </pre>
 */
public final class CpuLoopBench {
    private CpuLoopBench() {}

    interface Loop {
        void run(int from, int to);
    }

    public static void main(String[] args) {
        int[] sizes = {1 << 10, 1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 20};
        try (CpuBackend be = new CpuBackend(2)) {
            int max = 1 << 20;
            Tensor x = be.allocate(DType.FLOAT32, max);
            Tensor y = be.allocate(DType.FLOAT32, max);
            Tensor z = be.allocate(DType.FLOAT32, max);
            Tensor w = be.allocate(DType.FLOAT32, max);
            float[] host = new float[max];
            Random r = new Random(1);
            for (int i = 0; i < max; i++) {
                host[i] = (float) r.nextGaussian();
            }
            be.upload(host, 0, x);
            be.upload(host, 0, y);
            FloatBuffer xb = CpuBackend.floats(x);
            FloatBuffer yb = CpuBackend.floats(y);
            FloatBuffer zb = CpuBackend.floats(z);
            FloatBuffer wb = CpuBackend.floats(w);
            java.nio.IntBuffer xi = ((CpuStorage) x.storage()).ints();
            CpuPool pool = be.pool();
            System.out.println("loop          n       1 thread ns/elem   2 threads ns/elem   speedup");
            bench(pool, "axpy", sizes, (f, t) -> ElementwiseLoops.axpy(0.5f, xb, 0, yb, 0, f, t));
            bench(pool, "relu fwd", sizes, (f, t) -> ActivationLoops.forward(Activation.RELU, xb, 0, zb, 0, f, t));
            bench(pool, "relu bwd", sizes, (f, t) -> ActivationLoops.backward(Activation.RELU, xb, 0, yb, 0, zb, 0, f, t));
            bench(pool, "tanh fwd", sizes, (f, t) -> ActivationLoops.forward(Activation.TANH, xb, 0, zb, 0, f, t));
            bench(pool, "Math.tanh", sizes, (f, t) -> {
                for (int i = f; i < t; i++) {
                    zb.put(i, (float) Math.tanh(xb.get(i)));
                }
            });
            bench(pool, "gelu fwd", sizes, (f, t) -> ActivationLoops.forward(Activation.GELU, xb, 0, zb, 0, f, t));
            bench(pool, "gelu bwd", sizes, (f, t) -> ActivationLoops.backward(Activation.GELU, xb, 0, yb, 0, zb, 0, f, t));
            bench(pool, "sgd mom", sizes, (f, t) -> OptimizerLoops.sgdMomentum(zb, 0, xb, 0, 1f, wb, 0, 1e-3f, 0.9f, false, 0f, f, t));
            bench(pool, "adam", sizes, (f, t) -> OptimizerLoops.adam(zb, 0, xb, 0, 1f, wb, 0, yb, 0, 1f, 0f, 0.9f, 0.999f,
                    1e-8f, 1e-3f, 0.03f, f, t));
            bench(pool, "sum", sizes, (f, t) -> ReductionLoops.sum(xb, 0, f, t));
            bench(pool, "allFinite", sizes, (f, t) -> ReductionLoops.allFinite(xi, 0, f, t));
            bench(pool, "dropout", sizes, (f, t) -> ElementwiseLoops.dropoutMask(zb, 0, 0.1f, 1.1f, 42L, 0L, f, t));
            bench(pool, "copy", sizes, (f, t) -> ElementwiseLoops.copyFloats(xb, 0, zb, 0, f, t));
        }
    }

    private static void bench(CpuPool pool, String name, int[] sizes, Loop loop) {
        for (int n : sizes) {
            double one = time(() -> loop.run(0, n), n);
            double two = time(() -> pool.parallelFor(n, 1, (p, f, t) -> loop.run(f, t)), n);
            System.out.printf(Locale.ROOT, "%-10s %8d   %10.3f          %10.3f          %5.2f%n", name, n, one / n, two / n,
                    one / two);
        }
    }

    /** Median-ish: best of 7 batches, each long enough (~20 ms at ~1 ns per element of n). Returns ns per call. */
    static double time(Runnable r, int n) {
        int reps = Math.max(1, (int) (20_000_000L / Math.max(1, n)));   // ~1 ns/elem -> 20 ms a batch
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        double best = Double.MAX_VALUE;
        for (int b = 0; b < 7; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                r.run();
            }
            best = Math.min(best, (System.nanoTime() - t0) / (double) reps);
        }
        return best;
    }
}
