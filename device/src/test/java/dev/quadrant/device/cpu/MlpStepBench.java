package dev.quadrant.device.cpu;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Benchmark (not a test): one training step of the reference MLP (784-1024-1024-10, ReLU, softmax cross-entropy,
 * batch 256) on {@link CpuBackend}, op by op, as the trainer runs it (8 GEMMs, flat parameter and gradient buffers,
 * a fused optimizer update). Prints where the time goes and the share spent in GEMM (target: at least 80%).
 *
 * <p>Arguments: {@code [threads=2] [steps=30] [optimizer=sgd|adam]}.
 */
public final class MlpStepBench {
    private MlpStepBench() {}

    private static final Map<String, long[]> TIMES = new LinkedHashMap<>();

    private static void timed(String name, Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        TIMES.computeIfAbsent(name, k -> new long[1])[0] += System.nanoTime() - t0;
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        boolean adam = args.length > 2 && args[2].equals("adam");
        int b = 256;
        int in = 784;
        int h = 1024;
        int out = 10;
        int nParams = h * in + h + h * h + h + out * h + out;
        try (CpuBackend be = new CpuBackend(threads);
             Tensor params = be.allocate(DType.FLOAT32, nParams);
             Tensor grads = be.allocate(DType.FLOAT32, nParams);
             Tensor vel = be.allocate(DType.FLOAT32, nParams);
             Tensor vel2 = be.allocate(DType.FLOAT32, nParams);
             Tensor x = be.allocate(DType.FLOAT32, b, in);
             Tensor labels = be.allocate(DType.INT32, b);
             Tensor z1 = be.allocate(DType.FLOAT32, b, h);
             Tensor h1 = be.allocate(DType.FLOAT32, b, h);
             Tensor z2 = be.allocate(DType.FLOAT32, b, h);
             Tensor h2 = be.allocate(DType.FLOAT32, b, h);
             Tensor y = be.allocate(DType.FLOAT32, b, out);
             Tensor dy = be.allocate(DType.FLOAT32, b, out);
             Tensor dh2 = be.allocate(DType.FLOAT32, b, h);
             Tensor dh1 = be.allocate(DType.FLOAT32, b, h);
             Tensor losses = be.allocate(DType.FLOAT32, b);
             Tensor lossSum = be.allocate(DType.FLOAT32, 1);
             Tensor correct = be.allocate(DType.FLOAT32, 1)) {
            Random r = new Random(7);
            float[] p = new float[nParams];
            for (int i = 0; i < nParams; i++) {
                p[i] = (float) (r.nextGaussian() * 0.03);
            }
            be.upload(p, 0, params);
            float[] xs = new float[b * in];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = r.nextFloat();
            }
            be.upload(xs, 0, x);
            int[] ls = new int[b];
            for (int i = 0; i < b; i++) {
                ls[i] = r.nextInt(out);
            }
            be.upload(ls, 0, labels);
            long o = 0;
            Tensor w1 = params.view(o, h, in);
            Tensor gw1 = grads.view(o, h, in);
            o += (long) h * in;
            Tensor b1 = params.view(o, h);
            Tensor gb1 = grads.view(o, h);
            o += h;
            Tensor w2 = params.view(o, h, h);
            Tensor gw2 = grads.view(o, h, h);
            o += (long) h * h;
            Tensor b2 = params.view(o, h);
            Tensor gb2 = grads.view(o, h);
            o += h;
            Tensor w3 = params.view(o, out, h);
            Tensor gw3 = grads.view(o, out, h);
            o += (long) out * h;
            Tensor b3 = params.view(o, out);
            Tensor gb3 = grads.view(o, out);

            Runnable step = () -> {
                timed("gemm", () -> be.gemm(false, true, 1f, x, w1, 0f, z1));
                timed("addBias", () -> be.addBias(z1, b1));
                timed("relu fwd", () -> be.activationForward(Activation.RELU, z1, h1));
                timed("gemm", () -> be.gemm(false, true, 1f, h1, w2, 0f, z2));
                timed("addBias", () -> be.addBias(z2, b2));
                timed("relu fwd", () -> be.activationForward(Activation.RELU, z2, h2));
                timed("gemm", () -> be.gemm(false, true, 1f, h2, w3, 0f, y));
                timed("addBias", () -> be.addBias(y, b3));
                timed("softmaxCE", () -> be.softmaxCrossEntropyForward(y, labels, losses));
                timed("metrics", () -> be.sumInto(losses, lossSum));
                timed("metrics", () -> be.countCorrect(y, labels, correct));
                timed("softmaxCE", () -> be.softmaxCrossEntropyBackward(y, labels, 1f / b, dy));
                timed("gemm", () -> be.gemm(true, false, 1f, dy, h2, 0f, gw3));
                timed("columnSums", () -> be.columnSums(dy, 0f, gb3));
                timed("gemm", () -> be.gemm(false, false, 1f, dy, w3, 0f, dh2));
                timed("relu bwd", () -> be.activationBackward(Activation.RELU, z2, dh2, dh2));
                timed("gemm", () -> be.gemm(true, false, 1f, dh2, h1, 0f, gw2));
                timed("columnSums", () -> be.columnSums(dh2, 0f, gb2));
                timed("gemm", () -> be.gemm(false, false, 1f, dh2, w2, 0f, dh1));
                timed("relu bwd", () -> be.activationBackward(Activation.RELU, z1, dh1, dh1));
                timed("gemm", () -> be.gemm(true, false, 1f, dh1, x, 0f, gw1));
                timed("columnSums", () -> be.columnSums(dh1, 0f, gb1));
                if (adam) {
                    timed("optimizer", () -> be.adamUpdate(params, grads, vel, vel2, 1e-4f, 0.9f, 0.999f, 1e-8f, 0f,
                            false, 10, null));
                } else {
                    timed("optimizer", () -> be.sgdUpdate(params, grads, vel, 1e-3f, 0.9f, false, 0f, null));
                }
            };
            for (int i = 0; i < 10; i++) {
                step.run();
            }
            TIMES.clear();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step.run();
            }
            double total = (System.nanoTime() - t0) / 1e6 / steps;
            System.out.printf(Locale.ROOT, "%s, %s, batch %d: %.2f ms/step%n", be.describe(), adam ? "adam" : "sgd",
                    b, total);
            long sum = 0;
            for (long[] t : TIMES.values()) {
                sum += t[0];
            }
            for (Map.Entry<String, long[]> e : TIMES.entrySet()) {
                System.out.printf(Locale.ROOT, "  %-11s %7.3f ms  %5.1f%%%n", e.getKey(), e.getValue()[0] / 1e6 / steps,
                        100.0 * e.getValue()[0] / sum);
            }
        }
    }
}
