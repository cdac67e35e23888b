package dev.quadrant.examples.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cpu.CpuBlas;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Training;

/**
 * How much of a CPU training step is GEMM: trains MLP 784-1024-1024-10, batch 256, SGD with momentum, on synthetic
 * 784x10x60000 data with 2 threads, and times the same 8 GEMMs of one step run alone through OpenBLAS. The share
 * {@code gemm time / step time} is the figure of merit (target >= 80%): everything else (bias, activations, loss,
 * optimizer, data gathering) should cost little beside the GEMMs.
 *
 * <p>Usage: {@code GemmShareBenchmark [threads=2] [steps=200] [repeats=3]}.
 */
public final class GemmShareBenchmark {
    private static final int B = 256;
    private static final int[] WIDTHS = {784, 1024, 1024, 10};

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 5;

        double[] stepSec = new double[repeats];
        double[] gemmSec = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            stepSec[r] = trainStepSeconds(threads, steps);
            gemmSec[r] = gemmStepSeconds(threads, Math.max(20, steps / 2));
        }
        double step = median(stepSec);
        double gemm = median(gemmSec);
        double flops = 0;
        for (int l = 0; l + 1 < WIDTHS.length; l++) {
            flops += 2.0 * B * WIDTHS[l] * WIDTHS[l + 1] * (l == 0 ? 2 : 3);
        }
        System.out.println("MLP 784-1024-1024-10, batch 256, momentum SGD, synthetic 784x10x60000, " + threads + " threads, GEMMs on "
                + CpuBlas.choose() + " (-D" + CpuBlas.PROPERTY + ")");
        System.out.println("| measure | per step (ms) | samples/s | GFLOP/s |");
        System.out.println("| --- | ---: | ---: | ---: |");
        System.out.printf(Locale.ROOT, "| training step (quadrant train) | %.2f | %.0f | %.1f |%n", step * 1e3, B / step, flops / step / 1e9);
        System.out.printf(Locale.ROOT, "| the 8 GEMMs alone (the backend's gemm) | %.2f | %.0f | %.1f |%n", gemm * 1e3, B / gemm, flops / gemm / 1e9);
        System.out.printf(Locale.ROOT, "GEMM share of the step: %.1f%% (target >= 80%%); medians of %d repeats%n", 100 * gemm / step, repeats);
    }

    /** Seconds per optimizer step of the real trainer (data gathering, upload, forward, backward, update). */
    static double trainStepSeconds(int threads, int steps) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:784x10x60000";
        o.model = "mlp:1024-1024";
        o.batch = B;
        o.optimizer = "momentum";
        o.lr = 0.01f;
        o.threads = threads;
        o.devices = "cpu:1";
        o.steps = steps;
        double[] sec = new double[1];
        Training.run(o, List.of(new TrainListener() {
            @Override
            public void onEpoch(EpochMetrics m) {
                sec[0] += m.seconds();
            }
        }));
        return sec[0] / steps;
    }

    /**
     * Seconds for the 8 GEMMs of one step (3 forward, 3 weight gradients, 2 input gradients), run back to back through
     * the CPU backend's gemm (OpenBLAS, split over the same thread budget the trainer uses) and nothing else.
     */
    static double gemmStepSeconds(int threads, int iterations) {
        int n = WIDTHS.length - 1;
        try (Backend be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), threads)) {
            Tensor[] w = new Tensor[n];
            Tensor[] dw = new Tensor[n];
            Tensor[] act = new Tensor[n + 1];
            Tensor[] grad = new Tensor[n + 1];
            for (int l = 0; l < n; l++) {
                w[l] = filled(be, WIDTHS[l + 1], WIDTHS[l]);
                dw[l] = be.allocate(DType.FLOAT32, WIDTHS[l + 1], WIDTHS[l]);
            }
            for (int l = 0; l <= n; l++) {
                act[l] = filled(be, B, WIDTHS[l]);
                grad[l] = filled(be, B, WIDTHS[l]);
            }
            Runnable step = () -> {
                for (int l = 0; l < n; l++) {
                    be.gemm(false, true, 1f, act[l], w[l], 0f, act[l + 1]);
                }
                for (int l = n - 1; l >= 0; l--) {
                    be.gemm(true, false, 1f, grad[l + 1], act[l], 0f, dw[l]);
                    if (l > 0) {
                        be.gemm(false, false, 1f, grad[l + 1], w[l], 0f, grad[l]);
                    }
                }
            };
            for (int i = 0; i < 5; i++) {
                step.run();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                step.run();
            }
            double sec = (System.nanoTime() - t0) / 1e9 / iterations;
            for (Tensor[] ts : new Tensor[][] {w, dw, act, grad}) {
                for (Tensor t : ts) {
                    t.close();
                }
            }
            return sec;
        }
    }

    private static Tensor filled(Backend be, int rows, int cols) {
        Tensor t = be.allocate(DType.FLOAT32, rows, cols);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(i * 0.37) * 0.05f;
        }
        be.upload(v, 0, t);
        return t;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
