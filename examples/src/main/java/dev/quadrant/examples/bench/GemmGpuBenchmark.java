package dev.quadrant.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;

/**
 * GEMM rates of {@link CudaBackend#gemm} in each {@link Precision} on one GPU: 4096^3, and the GEMMs of the trainer's
 * layers (MNIST mlp:256 at batch 128; MLP 784-1024-1024-10 at batch 256, the model of {@link GemmShareBenchmark}):
 * forward {@code y = x w^T}, weight gradient {@code dW = dy^T x}, input gradient {@code dx = dy w}. Each shape is run
 * through the backend exactly as training runs it (bf16 includes casting both inputs on every call), timed with CUDA
 * events over enough calls to last {@code --min-ms}; the table gives TFLOP/s and the ratio to fp32.
 *
 * <p>Usage: {@code GemmGpuBenchmark [--device N] [--min-ms MS]}. Exit status 2 without a usable GPU.
 */
public final class GemmGpuBenchmark {
    /** One GEMM: {@code c[m,n] = op(a) op(b)}, with the trainer's transposes. */
    record Shape(String what, int m, int n, int k, boolean transA, boolean transB) {
        double flops() { return 2.0 * m * n * k; }
    }

    private GemmGpuBenchmark() {}

    static List<Shape> shapes() {
        List<Shape> s = new ArrayList<>();
        s.add(new Shape("square 4096^3", 4096, 4096, 4096, false, false));
        int[][] models = {{128, 784, 256, 10}, {256, 784, 1024, 1024, 10}};
        String[] names = {"mnist mlp:256 b128", "mlp 784-1024-1024-10 b256"};
        for (int mi = 0; mi < models.length; mi++) {
            int[] w = models[mi];
            int b = w[0];
            for (int l = 1; l + 1 < w.length; l++) {
                int in = w[l];
                int out = w[l + 1];
                String layer = names[mi] + " layer " + (l - 1) + " " + in + "->" + out;
                s.add(new Shape(layer + " fwd y=x*w^T", b, out, in, false, true));
                s.add(new Shape(layer + " dW=dy^T*x", out, in, b, true, false));
                if (l > 1) {
                    s.add(new Shape(layer + " dx=dy*w", b, in, out, false, false));
                }
            }
        }
        return s;
    }

    public static void main(String[] args) {
        int device = 0;
        double minMs = 300;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = Integer.parseInt(args[++i]);
                case "--min-ms" -> minMs = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i] + "; expected --device N, --min-ms MS");
            }
        }
        CudaProbe.Result probe = CudaProbe.get();
        if (!probe.usable()) {
            System.out.println("GemmGpuBenchmark: CUDA is not usable here: " + probe.reason());
            System.exit(2);
        }
        Cuda.DeviceInfo info = Cuda.deviceInfo(device);
        System.out.println("GEMM rates through CudaBackend.gemm on cuda:" + device + " (" + info.name() + ", " + info.arch()
                + "), fp32 accumulation; bf16 includes the two input casts per call");
        System.out.println("| GEMM | m x n x k | fp32 TFLOP/s | tf32 TFLOP/s | bf16 TFLOP/s | tf32/fp32 | bf16/fp32 |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (Shape s : shapes()) {
            double[] t = new double[Precision.values().length];
            for (Precision p : Precision.values()) {
                t[p.ordinal()] = rate(device, p, s, minMs);
            }
            System.out.printf(Locale.ROOT, "| %s | %dx%dx%d | %.2f | %.2f | %.2f | %.2f | %.2f |%n", s.what(), s.m(), s.n(),
                    s.k(), t[0], t[1], t[2], t[1] / t[0], t[2] / t[0]);
        }
    }

    /** TFLOP/s of {@code s} in {@code p}: median of 3 timed batches of calls. */
    static double rate(int device, Precision p, Shape s, double minMs) {
        try (CudaBackend be = CudaBackend.open(Device.cuda(device), p);
             Tensor a = s.transA() ? be.allocate(DType.FLOAT32, s.k(), s.m()) : be.allocate(DType.FLOAT32, s.m(), s.k());
             Tensor b = s.transB() ? be.allocate(DType.FLOAT32, s.n(), s.k()) : be.allocate(DType.FLOAT32, s.k(), s.n());
             Tensor c = be.allocate(DType.FLOAT32, s.m(), s.n())) {
            be.fill(a, 0.01f);
            be.fill(b, 0.02f);
            Cuda.setDevice(device);
            try (CudaEvent start = CudaEvent.create(true); CudaEvent stop = CudaEvent.create(true)) {
                int calls = 1;
                double ms;
                while (true) {   // find a call count that lasts minMs / 3
                    ms = timed(be, s, a, b, c, calls, start, stop);
                    if (ms >= minMs / 3 || calls > 1 << 20) {
                        break;
                    }
                    calls *= ms < 1 ? 8 : 2;
                }
                double[] runs = new double[3];
                for (int r = 0; r < 3; r++) {
                    runs[r] = timed(be, s, a, b, c, calls, start, stop);
                }
                java.util.Arrays.sort(runs);
                return s.flops() * calls / (runs[1] / 1e3) / 1e12;
            }
        }
    }

    private static double timed(CudaBackend be, Shape s, Tensor a, Tensor b, Tensor c, int calls, CudaEvent start,
                                CudaEvent stop) {
        start.record(be.stream());
        for (int i = 0; i < calls; i++) {
            be.gemm(s.transA(), s.transB(), 1f, a, b, 0f, c);
        }
        stop.record(be.stream());
        stop.synchronize();
        return CudaEvent.elapsedMs(start, stop);
    }
}
