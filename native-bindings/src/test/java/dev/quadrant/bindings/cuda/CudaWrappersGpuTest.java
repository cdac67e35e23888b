package dev.quadrant.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The checked wrappers on a real GPU: memory and copies with offsets, a stream/event pair, cuBLAS sgemm and the two
 * gemmEx modes, NVRTC to a kernel launched through KernelArgs, a CUDA graph, and the typed error of a failed call.
 */
@Tag("gpu")
class CudaWrappersGpuTest {
    private static final String SAXPY = "extern \"C\" __global__ void saxpy(float a, const float* x, float* y, long long n) {"
            + " long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; if (i < n) y[i] = a * x[i] + y[i]; }";

    @BeforeEach
    void needsCuda() {
        Assumptions.assumeTrue(CudaProbe.get().usable(), CudaProbe.get().reason());
    }

    private static float[] readBack(long dev, int n, CudaStream s) {
        long h = Cuda.mallocHost(4L * n);
        try {
            Cuda.memcpyAsync(h, dev, 4L * n, s);
            s.synchronize();
            float[] out = new float[n];
            DevPtr.floats(h, n).get(out);
            return out;
        } finally {
            Cuda.freeHost(h);
        }
    }

    @Test
    void memoryBlasKernelsGraphsAndErrors() {
        Cuda.setDevice(0);
        int n = 1000;
        try (CudaStream s = CudaStream.create(0); CudaEvent e = CudaEvent.create(true); Cublas blas = Cublas.create(s);
             KernelArgs args = new KernelArgs(4)) {
            long x = Cuda.malloc(4L * n);
            long y = Cuda.malloc(4L * n);
            long h = Cuda.mallocHost(4L * n);
            try {
                FloatPointer hp = DevPtr.floats(h, n);
                for (int i = 0; i < n; i++) {
                    hp.put(i, i);
                }
                Cuda.memcpyAsync(x, h, 4L * n, s);
                Cuda.memcpyAsync(y, h, 4L * n, s);
                Cuda.memsetAsync(y + 4L * 256, 0, 4L * 256, s);   // elements [256, 512)
                e.record(s);
                float[] yb = readBack(y, n, s);
                assertTrue(e.isDone());
                assertEquals(255f, yb[255]);
                assertEquals(0f, yb[256]);
                assertEquals(512f, yb[512]);

                blas.saxpy(n, 2f, x, y);   // y = 2x + y
                blas.sscal(n, 0.5f, y);
                assertEquals(0.5f * (2 * 600 + 600), readBack(y, n, s)[600]);

                // column-major 2x2: C = A B with A = [[0,2],[1,3]] (x[0..4)), B = I-ish
                blas.sgemm(false, false, 2, 2, 2, 1f, x, 2, x, 2, 0f, y, 2);
                float[] c = readBack(y, 4, s);
                assertEquals(0 * 0 + 2 * 1, c[0]);   // row 0 of A dot col 0 of B
                blas.gemmEx(false, false, 2, 2, 2, 1f, x, Cublas.DataType.FLOAT32, 2, x, Cublas.DataType.FLOAT32, 2,
                        0f, y, 2, Cublas.Compute.TF32);
                assertEquals(2f, readBack(y, 4, s)[0]);

                Nvrtc.Output out = Nvrtc.compile(SAXPY, "saxpy.cu", List.of("--gpu-architecture="
                        + Cuda.deviceInfo(0).arch(), "-default-device", "--std=c++17"));
                try (CudaModule m = CudaModule.load(out.image())) {
                    CudaFunction f = m.function("saxpy");
                    Cuda.memcpyAsync(y, h, 4L * n, s);
                    args.clear().f32(3f).ptr(x).ptr(y).i64(n);
                    Cuda.launch(f, (n + 255) / 256, 1, 256, 1, 0, s, args);
                    assertEquals(4f * 10, readBack(y, n, s)[10]);   // y = 3x + x
                    try (CudaGraph g = CudaGraph.capture(s, () -> Cuda.launch(f, (n + 255) / 256, 1, 256, 1, 0, s, args))) {
                        g.launch(s);
                        g.launch(s);
                    }
                    assertEquals(10f * 10, readBack(y, n, s)[10]);   // + 3x twice
                }
                CudaException bad = assertThrows(CudaException.class, () -> Cuda.setDevice(1 << 20));
                assertTrue(bad.statusName().startsWith("cudaError"), bad.getMessage());
                CudaException nv = assertThrows(CudaException.class,
                        () -> Nvrtc.compile("__global__ void k() { nope(); }", "bad.cu", List.of("-default-device")));
                assertTrue(nv.getMessage().contains("nope"), nv.getMessage());
            } finally {
                Cuda.free(x);
                Cuda.free(y);
                Cuda.freeHost(h);
            }
        }
    }
}
