package dev.quadrant.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The wrappers against the stub libraries of shared/notes/javacpp-cuda/fakes (two fake GPUs whose memory is host
 * memory; the stubs compute saxpy, GEMM and NCCL sums), so every argument the Java side passes is checked by the
 * numbers that come back. Run with {@code -Pfakes -Dquadrant.fakes=DIR} after setup-fakes.sh; skipped otherwise.
 * Real GPU behaviour (asynchrony, errors, performance) is not tested here.
 */
@Tag("fakes")
class FakesWrappersTest {

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    private static long hostFloats(float... v) {
        long h = Cuda.mallocHost(4L * v.length);
        DevPtr.floats(h, v.length).put(v);
        return h;
    }

    private static float[] read(long addr, int n) {
        float[] out = new float[n];
        DevPtr.floats(addr, n).get(out);
        return out;
    }

    @Test
    void probeSeesTwoDevicesAndNccl() {
        CudaProbe.Result r = CudaProbe.get();
        assertTrue(r.usable(), r.details());
        assertEquals(2, r.deviceCount());
        assertTrue(r.ncclUsable(), r.ncclReason());
        // the stub driver lacks cuGetProcAddress, through which the real runtime asks for the version: 0 = unknown
        assertTrue(r.driverVersion() == 0 || r.driverVersion() >= 13000, "driver " + r.driverVersion());
        assertTrue(r.reason().startsWith("2 CUDA devices"), r.reason());
    }

    @Test
    void devicesMemoryCopiesStreamsEventsGraphs() {
        assertTrue(CudaProbe.get().usable());
        assertEquals(2, Cuda.deviceCount());
        Cuda.DeviceInfo info = Cuda.deviceInfo(1);
        assertEquals("Fake H100 #1", info.name());
        assertEquals(80L << 30, info.totalMemory());
        assertEquals("sm_90", info.arch());
        assertEquals(132, info.multiprocessors());
        Cuda.setDevice(1);
        assertEquals(1, Cuda.getDevice());
        try (CudaStream s = CudaStream.create(0); CudaEvent a = CudaEvent.create(true); CudaEvent b = CudaEvent.create(true)) {
            long h = hostFloats(0, 1, 2, 3, 4, 5, 6, 7);
            long d = Cuda.malloc(32);
            a.record(s);
            Cuda.memcpyAsync(d, h, 32, s);
            Cuda.memsetAsync(d + 4L * 2, 0, 4L * 3, s);   // elements 2..4, offset on the address
            b.record(s);
            s.waitFor(b);
            s.synchronize();
            assertTrue(s.isIdle());
            b.synchronize();   // (cudaEventQuery is not in the stub)
            assertEquals(1.25f, CudaEvent.elapsedMs(a, b));   // what the stub reports
            assertArrayEquals(new float[] {0, 1, 0, 0, 0, 5, 6, 7}, read(d, 8));
            long d1 = Cuda.malloc(32);
            Cuda.memcpyPeerAsync(d1, 1, d + 4, 0, 28, s);
            assertEquals(7f, read(d1, 7)[6]);
            assertTrue(Cuda.canAccessPeer(0, 1));
            Cuda.setDevice(0);
            Cuda.enablePeerAccess(1);
            Cuda.enablePeerAccess(1);   // already enabled: not an error
            try (CudaGraph g = CudaGraph.capture(s, () -> Cuda.memsetAsync(d, 0, 32, s))) {
                g.launch(s);
            }
            Cuda.free(d);
            Cuda.free(d1);
            Cuda.freeHost(h);
        }
        CudaException e = assertThrows(CudaException.class, () -> Cuda.setDevice(7));
        assertEquals("cudaErrorInvalidDevice", e.statusName());
        assertEquals(7, e.device());
        assertTrue(e.getMessage().contains("cudaSetDevice(7)") && e.getMessage().contains("quadrant devices"), e.getMessage());
    }

    @Test
    void kernelLaunchPassesArgumentsAsTheDriverReadsThem() {
        Cuda.setDevice(0);
        int n = 100;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
        }
        long x = hostFloats(xs);
        long y = hostFloats(xs);
        try (CudaStream s = CudaStream.create(0); CudaModule m = CudaModule.load(new byte[] {0x7f, 'E', 'L', 'F', 0});
             KernelArgs args = new KernelArgs(4)) {
            CudaFunction f = m.function("saxpy");   // the stub decodes saxpy(float a, const float* x, float* y, long n)
            args.clear().f32(2.5f).ptr(x).ptr(y).i64(n);
            Cuda.launch(f, 1, 1, 128, 1, 0, s, args);
            assertEquals(3.5f * 40, read(y, n)[40]);
            CudaException e = assertThrows(CudaException.class, () -> m.function("missing_kernel"));
            assertEquals("CUDA driver", e.library());
            assertEquals(500, e.status());
            assertTrue(e.getMessage().contains("cuModuleGetFunction(missing_kernel)"), e.getMessage());
        } finally {
            Cuda.freeHost(x);
            Cuda.freeHost(y);
        }
    }

    @Test
    void cublasGemmsAxpyScal() {
        Cuda.setDevice(0);
        try (CudaStream s = CudaStream.create(0); Cublas blas = Cublas.create(s)) {
            // column-major A[2x3] = [[1,3,5],[2,4,6]], B[3x2] = [[1,0],[0,1],[1,1]]
            long a = hostFloats(1, 2, 3, 4, 5, 6);
            long b = hostFloats(1, 0, 1, 0, 1, 1);
            long c = hostFloats(9, 9, 9, 9);
            blas.sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 3, 0f, c, 2);
            assertArrayEquals(new float[] {6, 8, 8, 10}, read(c, 4));
            blas.sgemm(true, false, 2, 2, 2, 2f, a, 2, a, 2, 1f, c, 2);   // C = 2 A[:, :2]^T A[:, :2] + C
            assertArrayEquals(new float[] {6 + 10, 8 + 22, 8 + 22, 10 + 50}, read(c, 4));
            blas.gemmEx(false, false, 2, 2, 3, 1f, a, Cublas.DataType.FLOAT32, 2, b, Cublas.DataType.FLOAT32, 3, 0f, c, 2,
                    Cublas.Compute.TF32);
            assertArrayEquals(new float[] {6, 8, 8, 10}, read(c, 4));
            long a16 = Cuda.mallocHost(12);
            long b16 = Cuda.mallocHost(12);
            ShortPointer pa = new ShortPointer(DevPtr.bytes(a16, 12));
            ShortPointer pb = new ShortPointer(DevPtr.bytes(b16, 12));
            float[] av = {1, 2, 3, 4, 5, 6};
            float[] bv = {1, 0, 1, 0, 1, 1};
            for (int i = 0; i < 6; i++) {
                pa.put(i, (short) (Float.floatToRawIntBits(av[i]) >>> 16));
                pb.put(i, (short) (Float.floatToRawIntBits(bv[i]) >>> 16));
            }
            blas.gemmEx(false, false, 2, 2, 3, 1f, a16, Cublas.DataType.BF16, 2, b16, Cublas.DataType.BF16, 3, 0f, c, 2,
                    Cublas.Compute.FP32);
            assertArrayEquals(new float[] {6, 8, 8, 10}, read(c, 4));
            // a strided batch of two column-major 2x2 products: A_0 = [[1,3],[2,4]], A_1 = 2 I; B_0 = I, B_1 = A_0
            long a2 = hostFloats(1, 2, 3, 4, 2, 0, 0, 2);
            long b2 = hostFloats(1, 0, 0, 1, 1, 2, 3, 4);
            long c2 = hostFloats(9, 9, 9, 9, 9, 9, 9, 9);
            blas.gemmStridedBatchedEx(false, false, 2, 2, 2, 1f, a2, Cublas.DataType.FLOAT32, 2, 4, b2,
                    Cublas.DataType.FLOAT32, 2, 4, 0f, c2, 2, 4, 2, Cublas.Compute.FP32);
            assertArrayEquals(new float[] {1, 2, 3, 4, 2, 4, 6, 8}, read(c2, 8));
            blas.saxpy(4, 0.5f, c, c);   // c = 1.5 c
            blas.sscal(4, 2f, c);
            assertArrayEquals(new float[] {18, 24, 24, 30}, read(c, 4));
            CudaException e = assertThrows(CudaException.class, blas::version);   // not emulated by the stub
            assertEquals("cuBLAS", e.library());
            assertEquals("CUBLAS_STATUS_FAKE", e.statusName());
            for (long p : new long[] {a, b, c, a16, b16, a2, b2, c2}) {
                Cuda.freeHost(p);
            }
        }
    }

    @Test
    void ncclCollectivesInAGroupAndThreadPerRank() throws Exception {
        assertTrue(Nccl.version() > 20000);
        int n = 8;
        Nccl.Comm[] comms = Nccl.Comm.initAll(new int[] {0, 1});
        long[] send = {hostFloats(1, 1, 1, 1, 1, 1, 1, 1), hostFloats(2, 2, 2, 2, 2, 2, 2, 2)};
        long[] recv = {Cuda.mallocHost(4L * 2 * n), Cuda.mallocHost(4L * 2 * n)};
        try (CudaStream s0 = CudaStream.create(0); CudaStream s1 = CudaStream.create(1)) {
            CudaStream[] st = {s0, s1};
            Nccl.groupStart();
            for (int r = 0; r < 2; r++) {
                comms[r].allReduce(send[r], recv[r], n, Nccl.DataType.FLOAT32, Nccl.Op.SUM, st[r]);
            }
            Nccl.groupEnd();
            assertEquals(3f, read(recv[1], n)[7]);
            Nccl.groupStart();
            for (int r = 0; r < 2; r++) {
                comms[r].reduceScatter(send[r], recv[r] + 4L * n, n / 2, Nccl.DataType.FLOAT32, Nccl.Op.SUM, st[r]);
            }
            Nccl.groupEnd();
            assertEquals(3f, read(recv[0] + 4L * n, 1)[0]);
            Nccl.groupStart();
            for (int r = 0; r < 2; r++) {
                comms[r].allGather(send[r], recv[r], n, Nccl.DataType.FLOAT32, st[r]);
            }
            Nccl.groupEnd();
            float[] g = read(recv[0], 2 * n);
            assertEquals(1f, g[0]);
            assertEquals(2f, g[2 * n - 1]);
            Nccl.groupStart();
            for (int r = 0; r < 2; r++) {
                comms[r].broadcast(send[r], send[r], n, Nccl.DataType.FLOAT32, 0, st[r]);
            }
            Nccl.groupEnd();
            assertEquals(1f, read(send[1], n)[3]);
            assertEquals(0, comms[0].asyncError());
        }
        for (Nccl.Comm c : comms) {
            c.close();
        }

        byte[] id = Nccl.uniqueId();
        assertEquals(Nccl.UNIQUE_ID_BYTES, id.length);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Nccl.Comm>> joined = List.of(0, 1).stream().map(rank -> pool.submit(() -> {
                Cuda.setDevice(rank);
                return Nccl.Comm.initRank(2, id.clone(), rank);
            })).toList();
            Nccl.Comm c0 = joined.get(0).get(10, TimeUnit.SECONDS);
            Nccl.Comm c1 = joined.get(1).get(10, TimeUnit.SECONDS);
            assertEquals(1, c1.device());
            c0.abort();
            c1.abort();
            assertThrows(IllegalStateException.class, c0::asyncError, "an aborted communicator is gone");
        } finally {
            pool.shutdownNow();
        }
        for (long p : new long[] {send[0], send[1], recv[0], recv[1]}) {
            Cuda.freeHost(p);
        }
    }

    @Test
    void nvrtcCompilesAndReportsErrorsWithTheLog() {
        Assumptions.assumeTrue(Files.isRegularFile(Path.of(System.getProperty("quadrant.fakes"), "nvrtc", "libnvrtc.so.13")),
                "no NVRTC next to the stubs");
        int[] v = Nvrtc.version();
        assertEquals(13, v[0]);
        int[] archs = Nvrtc.supportedArchs();
        assertTrue(java.util.Arrays.stream(archs).anyMatch(a -> a == 90), java.util.Arrays.toString(archs));
        Nvrtc.Output ok = Nvrtc.compile("extern \"C\" __global__ void k(float* x) { x[threadIdx.x] = 1.0f; }", "k.cu",
                List.of("--gpu-architecture=sm_90", "-default-device"));
        assertTrue(ok.cubin());
        assertEquals('E', ok.image()[1]);
        Nvrtc.Output ptx = Nvrtc.compile("extern \"C\" __global__ void k(float* x) { x[0] = 1.0f; }", "k.cu",
                List.of("--gpu-architecture=compute_90"));
        assertFalse(ptx.cubin());
        assertTrue(new String(ptx.image(), java.nio.charset.StandardCharsets.US_ASCII).contains(".target sm_90"));
        assertEquals(0, ptx.image()[ptx.image().length - 1], "PTX ends with NUL");
        CudaException e = assertThrows(CudaException.class, () -> Nvrtc.compile("__global__ void k() { undefined_fn(); }",
                "bad.cu", List.of("--gpu-architecture=sm_90")));
        assertEquals("NVRTC", e.library());
        assertTrue(e.getMessage().contains("undefined_fn") && e.getMessage().contains("bad.cu"), e.getMessage());
    }
}
