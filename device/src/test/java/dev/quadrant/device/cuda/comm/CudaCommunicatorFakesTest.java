package dev.quadrant.device.cuda.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import dev.quadrant.bindings.cuda.CudaException;
import dev.quadrant.bindings.cuda.Nccl;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.CommunicatorException;
import dev.quadrant.device.comm.CommunicatorTimeoutException;
import dev.quadrant.device.comm.RankFailedException;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.comm.Shards;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.kernels.HostKernels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA communicators against the stub libraries (two fake GPUs whose memory is host memory, a fake NCCL that
 * really sums; the sum and divide kernels run as {@link HostKernels}): every collective in the three layouts
 * ({@code cuda:0x4} device-local only, {@code cuda:0x4} with NCCL on one rank, {@code cuda:0x2,1x2} hierarchical,
 * {@code cuda:0,1} NCCL only) against host sums, plus timeouts naming the missing rank, aborts carrying the cause, and
 * ranks that disagree. What this cannot check: GPU asynchrony (the stubs run everything at once), real NCCL.
 * Run with {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaCommunicatorFakesTest {
    static final int N = 1037;   // not a multiple of 4: uneven shards

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    /** One backend per device in {@code devices}, kernels on the host. */
    static List<CudaBackend> backends(int... devices) {
        List<CudaBackend> out = new ArrayList<>();
        for (int d : devices) {
            out.add(CudaBackend.open(Device.cuda(d), Precision.FP32, dev -> HostKernels.INSTANCE));
        }
        return out;
    }

    static void closeAll(List<CudaCommunicator> comms, List<CudaBackend> bes) {
        comms.forEach(CudaCommunicator::close);
        bes.forEach(CudaBackend::close);
    }

    static float[] data(int rank, int n) {
        Random rnd = new Random(100 + rank);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** Runs {@code body} per rank on its own thread; fails with rank r's exception if it threw. */
    static Throwable[] onRanks(int n, RankBody body) throws InterruptedException {
        Throwable[] thrown = new Throwable[n];
        Thread[] ts = new Thread[n];
        for (int r = 0; r < n; r++) {
            int rank = r;
            ts[r] = new Thread(() -> {
                try {
                    body.run(rank);
                } catch (Throwable t) {
                    thrown[rank] = t;
                }
            }, "replica-" + r);
            ts[r].start();
        }
        for (Thread t : ts) {
            t.join(60_000);
            assertFalse(t.isAlive(), t.getName() + " hangs");
        }
        return thrown;
    }

    interface RankBody {
        void run(int rank) throws Exception;
    }

    static void ok(Throwable[] thrown) {
        for (int r = 0; r < thrown.length; r++) {
            if (thrown[r] != null) {
                throw new AssertionError("rank " + r + " threw", thrown[r]);
            }
        }
    }

    static void near(String what, double[] want, float[] got, double tol) {
        int worst = 0;
        double wd = -1;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (d > wd) {
                wd = d;
                worst = i;
            }
        }
        assertTrue(wd <= tol, what + ": worst index " + worst + ": expected " + want[worst] + ", got " + got[worst]
                + ", |diff| " + wd + " > tolerance " + tol);
    }

    void everyCollective(int[] devices, Layers layers, double tol, boolean expectNccl) throws Exception {
        everyCollective(backends(devices), layers, tol, expectNccl);
    }

    /**
     * Every collective on every rank of a group over {@code bes} (closed at the end), checked against float64 host
     * sums; {@code expectNccl} null: either. Also used by the GPU suite.
     */
    static void everyCollective(List<CudaBackend> bes, Layers layers, double tol, Boolean expectNccl) throws Exception {
        int n = bes.size();
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(30), layers, N);
        try {
            System.out.println(comms.get(0).describe());
            if (expectNccl != null) {
                assertEquals(expectNccl, comms.get(0).usesNccl());
            }
            double[] sum = new double[N];
            for (int r = 0; r < n; r++) {
                float[] x = data(r, N);
                for (int i = 0; i < N; i++) {
                    sum[i] += x[i];
                }
            }
            float[][] got = new float[n][];
            float[][] gotAvg = new float[n][];
            float[][] gotReduce = new float[n][];
            float[][] gotBcast = new float[n][];
            float[][] gotScatter = new float[n][];
            float[][] gotGather = new float[n][];
            int pad = 3;   // regions start at element 3 of a larger tensor: offsets are honoured
            ok(onRanks(n, r -> {
                CudaBackend be = bes.get(r);
                CudaCommunicator c = comms.get(r);
                try (Tensor t = be.allocate(DType.FLOAT32, N + 2 * pad)) {
                    Tensor v = t.slice(pad, N);
                    CudaBuffer b = CudaBuffer.of(v);
                    int off = (int) v.offset();
                    be.upload(data(r, N), 0, v);
                    CommHandle h = c.allReduceAsync(b, off, N, ReduceOp.SUM);
                    h.await();
                    h.await();   // idempotent
                    got[r] = read(be, v);
                    be.upload(data(r, N), 0, v);
                    c.allReduce(b, off, N, ReduceOp.AVERAGE);
                    gotAvg[r] = read(be, v);
                    be.upload(data(r, N), 0, v);
                    c.reduce(b, off, N, ReduceOp.SUM, n - 1);
                    gotReduce[r] = read(be, v);
                    be.upload(data(r, N), 0, v);
                    c.broadcast(b, off, N, 1 % n);
                    gotBcast[r] = read(be, v);
                    be.upload(data(r, N), 0, v);
                    c.reduceScatter(b, off, N, ReduceOp.SUM);
                    gotScatter[r] = read(be, v);
                    be.upload(data(r, N), 0, v);
                    c.allGather(b, off, N);
                    gotGather[r] = read(be, v);
                    c.barrier();
                    float[] whole = new float[N + 2 * pad];
                    be.download(t, whole, 0);
                    assertEquals(0f, whole[0], "element before the region untouched");
                    assertEquals(0f, whole[N + 2 * pad - 1], "element after the region untouched");
                }
            }));
            double[] avg = Arrays.stream(sum).map(s -> (float) s / (float) n).toArray();
            for (int r = 0; r < n; r++) {
                near("allReduce SUM rank " + r, sum, got[r], tol);
                assertTrue(Arrays.equals(got[0], got[r]), "every rank holds the same bits (rank " + r + ")");
                near("allReduce AVERAGE rank " + r, avg, gotAvg[r], tol);
                float[] mine = data(r, N);
                if (r == n - 1) {
                    near("reduce at the root", sum, gotReduce[r], tol);
                } else {
                    assertTrue(Arrays.equals(mine, gotReduce[r]), "reduce leaves rank " + r + " unchanged");
                }
                assertTrue(Arrays.equals(data(1 % n, N), gotBcast[r]), "broadcast from rank 1 to rank " + r);
                int from = Shards.offset(N, n, r);
                int len = Shards.length(N, n, r);
                for (int i = 0; i < N; i++) {
                    if (i >= from && i < from + len) {
                        assertEquals(sum[i], gotScatter[r][i], tol, "reduceScatter rank " + r + " element " + i);
                    } else {
                        assertEquals(mine[i], gotScatter[r][i], "reduceScatter leaves rank " + r + " element " + i);
                    }
                    int owner = 0;
                    while (i >= Shards.offset(N, n, owner) + Shards.length(N, n, owner)) {
                        owner++;
                    }
                    assertEquals(data(owner, N)[i], gotGather[r][i], "allGather rank " + r + " element " + i);
                }
            }
        } finally {
            closeAll(comms, bes);
        }
    }

    static float[] read(CudaBackend be, Tensor v) {
        float[] out = new float[v.intSize()];
        be.download(v, out, 0);
        return out;
    }

    @Test
    void fourReplicasOnOneGpuDeviceLocalOnly() throws Exception {
        everyCollective(new int[] {0, 0, 0, 0}, Layers.LOCAL_ONLY, 1e-5, false);
    }

    @Test
    void fourReplicasOnOneGpuWithNcclOnOneRank() throws Exception {
        everyCollective(new int[] {0, 0, 0, 0}, Layers.WITH_NCCL, 1e-5, true);
    }

    @Test
    void fourReplicasOnOneGpuUnderAutoUseTheDeviceLocalPathOnly() throws Exception {
        everyCollective(new int[] {0, 0, 0, 0}, Layers.AUTO, 1e-5, false);
    }

    @Test
    void hierarchicalTwoGpusTwoReplicasEach() throws Exception {
        everyCollective(new int[] {0, 0, 1, 1}, Layers.AUTO, 1e-5, true);
    }

    @Test
    void ncclOneRankPerGpu() throws Exception {
        everyCollective(new int[] {0, 1}, Layers.AUTO, 1e-5, true);
    }

    @Test
    void mixedOrderOfDevices() throws Exception {
        everyCollective(new int[] {1, 0, 1}, Layers.AUTO, 1e-5, true);
    }

    @Test
    void deviceLocalSumIsTheLeftToRightFloatSum() throws Exception {
        List<CudaBackend> bes = backends(0, 0, 0);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(30), Layers.LOCAL_ONLY, 0);
        try {
            float[][] got = new float[3][];
            ok(onRanks(3, r -> {
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, N)) {
                    bes.get(r).upload(data(r, N), 0, t);
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, N, ReduceOp.SUM);
                    got[r] = read(bes.get(r), t);
                }
            }));
            float[] a = data(0, N);
            float[] b = data(1, N);
            float[] c = data(2, N);
            for (int i = 0; i < N; i++) {
                assertEquals(Float.floatToRawIntBits((a[i] + b[i]) + c[i]), Float.floatToRawIntBits(got[1][i]),
                        "element " + i + " (exact: rank order, float32)");
            }
        } finally {
            closeAll(comms, bes);
        }
    }

    @Test
    void ncclRefusesTwoRanksOnOneDevice() {
        // why the device-local layer exists: NCCL (here the stub, which mimics it) rejects duplicate devices
        CudaException e = assertThrows(CudaException.class, () -> Nccl.Comm.initAll(new int[] {0, 0}));
        assertTrue(e.getMessage().contains("ncclInvalidUsage"), e.getMessage());
    }

    @Test
    void aRankThatNeverArrivesIsNamedAfterTheDeadline() throws Exception {
        List<CudaBackend> bes = backends(0, 0, 1);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofMillis(400), Layers.AUTO, 16);
        try {
            long t0 = System.nanoTime();
            Throwable[] thrown = onRanks(3, r -> {
                if (r == 2) {
                    return;   // replica 2 is stuck elsewhere: it never issues the collective
                }
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 16)) {
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, 16, ReduceOp.SUM);
                }
            });
            double s = (System.nanoTime() - t0) / 1e9;
            for (int r = 0; r < 2; r++) {
                CommunicatorTimeoutException e = assertInstanceOf(CommunicatorTimeoutException.class, thrown[r]);
                assertEquals(List.of(2), e.missingRanks());
                assertTrue(e.getMessage().contains("ranks [2] missing"), e.getMessage());
                assertTrue(e.getMessage().contains("rank 2 never issued a collective"), e.getMessage());
            }
            assertTrue(s < 10, "took " + s + " s");
        } finally {
            closeAll(comms, bes);
        }
    }

    @Test
    void theWatchdogBreaksAnAsyncCollectiveNobodyWaitsFor() throws Exception {
        List<CudaBackend> bes = backends(0, 0);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofMillis(300), Layers.LOCAL_ONLY, 16);
        try (Tensor t = bes.get(0).allocate(DType.FLOAT32, 16)) {
            CommHandle h = comms.get(0).allReduceAsync(CudaBuffer.of(t), 0, 16, ReduceOp.SUM);
            Thread.sleep(1200);   // rank 1 never issues it, and rank 0 does not wait: only the watchdog sees it
            assertTrue(h.isDone(), "a broken group's handles are done");
            CommunicatorTimeoutException e = assertThrows(CommunicatorTimeoutException.class, h::await);
            assertEquals(List.of(1), e.missingRanks());
            assertTrue(e.getMessage().contains("seen by the watchdog"), e.getMessage());
            assertSame(e, assertThrows(CommunicatorTimeoutException.class, h::await), "the same exception each time");
        } finally {
            closeAll(comms, bes);
        }
    }

    @Test
    void anAbortReachesEveryRankWithItsCause() throws Exception {
        List<CudaBackend> bes = backends(0, 1, 1);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(30), Layers.AUTO, 16);
        RuntimeException boom = new RuntimeException("replica 1 fell over");
        try {
            long t0 = System.nanoTime();
            Throwable[] thrown = onRanks(3, r -> {
                if (r == 1) {
                    Thread.sleep(200);
                    comms.get(1).abort(boom);
                    return;
                }
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 16)) {
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, 16, ReduceOp.SUM);
                }
            });
            assertTrue((System.nanoTime() - t0) / 1e9 < 5, "the others stopped within seconds");
            for (int r : new int[] {0, 2}) {
                RankFailedException e = assertInstanceOf(RankFailedException.class, thrown[r]);
                assertEquals(1, e.failedRank());
                assertSame(boom, e.getCause());
            }
            try (Tensor t = bes.get(0).allocate(DType.FLOAT32, 16)) {
                assertThrows(RankFailedException.class,
                        () -> comms.get(0).allReduceAsync(CudaBuffer.of(t), 0, 16, ReduceOp.SUM));
            }
        } finally {
            closeAll(comms, bes);
        }
    }

    @Test
    void ranksThatDisagreeBreakTheGroup() throws Exception {
        List<CudaBackend> bes = backends(0, 0);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(30), Layers.LOCAL_ONLY, 16);
        try {
            Throwable[] thrown = onRanks(2, r -> {
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 16)) {
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, r == 0 ? 16 : 8, ReduceOp.SUM);
                }
            });
            for (Throwable t : thrown) {
                assertInstanceOf(CommunicatorException.class, t);
                assertTrue(t.getMessage().contains("ranks disagree"), t.getMessage());
            }
        } finally {
            closeAll(comms, bes);
        }
    }

    @Test
    void badArgumentsNameTheRankAndBreakTheGroup() throws Exception {
        List<CudaBackend> bes = backends(0, 1);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(30), Layers.AUTO, 16);
        try (Tensor t = bes.get(0).allocate(DType.FLOAT32, 16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> comms.get(1).allReduce(CudaBuffer.of(t), 0, 16, ReduceOp.SUM));
            assertTrue(e.getMessage().contains("buffer is on cuda:0, this rank computes on cuda:1"), e.getMessage());
            RankFailedException f = assertThrows(RankFailedException.class,
                    () -> comms.get(0).allReduce(CudaBuffer.of(t), 0, 16, ReduceOp.SUM));
            assertSame(e, f.getCause());
            assertNotNull(f.getMessage());
        } finally {
            closeAll(comms, bes);
        }
    }

    @Test
    void aRetiredCollectiveAnswersIsDoneWithoutItsRecycledEvents() throws Exception {
        List<CudaBackend> bes = backends(0, 0);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(30), Layers.LOCAL_ONLY, 16);
        try {
            CudaCommHandle[] first = new CudaCommHandle[2];
            ok(onRanks(2, r -> {
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 16)) {
                    first[r] = (CudaCommHandle) comms.get(r).allReduceAsync(CudaBuffer.of(t), 0, 16, ReduceOp.SUM);
                    first[r].await();
                    bes.get(r).synchronize();
                }
            }));
            PendingOp op = first[0].op();
            long until = System.nanoTime() + 10_000_000_000L;
            while (!op.retired && System.nanoTime() < until) {
                Thread.sleep(20);   // the watchdog retires it once it is complete and awaited everywhere
            }
            assertTrue(op.retired, "the watchdog retires a completed, awaited collective");
            assertNull(op.done, "a retired collective keeps no reference to its recycled events");
            ok(onRanks(2, r -> {   // a newer collective takes the recycled events
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 16)) {
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, 16, ReduceOp.SUM);
                }
            }));
            assertTrue(first[0].isDone() && first[1].isDone(), "the old handles still say done");
        } finally {
            closeAll(comms, bes);
        }
    }
}
