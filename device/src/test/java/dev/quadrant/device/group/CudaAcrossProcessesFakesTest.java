package dev.quadrant.device.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.comm.ProcessLink;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.device.cuda.comm.CudaCommunicator;
import dev.quadrant.kernels.HostKernels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GPU replicas across processes against the stub libraries: 2 simulated processes (one thread each, with its own
 * {@link ProcessLink} over a {@link LocalCommunicator} of processes, as in {@code HierarchicalCommunicatorTest}) x 1
 * and x 2 fake GPUs, in one JVM; the fake NCCL joins ranks of one unique id into one clique. Checks that the id
 * arrives identically, the NCCL ranks are 0..N-1 over the job, and all-reduce and broadcast over the job. What this
 * cannot check: real NCCL between processes or hosts, GPU asynchrony (the stubs run work at once, so a collective is
 * complete only once every process has issued it: results are read after a job barrier; an average or a reduce,
 * which touch the result after NCCL on the issuing thread, are not checked here). Run with
 * {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaAcrossProcessesFakesTest {
    static final Duration DEADLINE = Duration.ofSeconds(30);
    static final int N = 1037;
    static final int PROCESSES = 2;

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    record FakeLink(LocalCommunicator procs) implements ProcessLink {
        public int rank() { return procs.rank(); }
        public int size() { return procs.size(); }
        public void allReduce(FloatBuffer b, int o, int n) { procs.allReduce(b, o, n, ReduceOp.SUM); }
        public void reduce(FloatBuffer b, int o, int n, int root) { procs.reduce(b, o, n, ReduceOp.SUM, root); }
        public void broadcast(FloatBuffer b, int o, int n, int root) { procs.broadcast(b, o, n, root); }
        public void barrier() { procs.barrier(); }
        public void fail(Throwable cause) { procs.abort(cause); }
        public String describe() { return "fake link"; }
    }

    interface Body { void run(int index) throws Exception; }

    /** Runs {@code body(0..n-1)} on threads of their own; rethrows the first failure. */
    static void onThreads(int n, String name, Body body) throws Exception {
        Throwable[] thrown = new Throwable[n];
        Thread[] ts = new Thread[n];
        for (int k = 0; k < n; k++) {
            int i = k;
            ts[k] = new Thread(() -> {
                try {
                    body.run(i);
                } catch (Throwable t) {
                    thrown[i] = t;
                }
            }, name + "-" + k);
            ts[k].start();
        }
        for (Thread t : ts) {
            t.join(60_000);
            assertFalse(t.isAlive(), t.getName() + " hangs");
        }
        for (int k = 0; k < n; k++) {
            if (thrown[k] != null) {
                throw new AssertionError(name + " " + k + " threw", thrown[k]);
            }
        }
    }

    static float[] data(int rank) {
        Random rnd = new Random(500 + rank);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    static int[] gpus(int k) {
        int[] d = new int[k];
        for (int i = 0; i < k; i++) {
            d[i] = i;
        }
        return d;
    }

    @Test
    void oneGpuPerProcess() throws Exception {
        job(1);
    }

    @Test
    void twoGpusPerProcess() throws Exception {
        job(2);
    }

    /** {@value #PROCESSES} processes with {@code k} GPU replicas each. */
    void job(int k) throws Exception {
        int total = PROCESSES * k;
        List<LocalCommunicator> procs = LocalCommunicator.create(PROCESSES, DEADLINE);
        byte[][] ids = new byte[PROCESSES][];
        int[] ncclRank = new int[total];
        int[] ncclRanks = new int[total];
        int[] rank = new int[total];
        int[] size = new int[total];
        float[][] sum = new float[total][];
        float[][] bcast = new float[total][];
        String[] describe = new String[PROCESSES];
        CyclicBarrier everyReplica = new CyclicBarrier(total);   // all "processes" are in this JVM
        onThreads(PROCESSES, "process", p -> {
            ProcessLink link = new FakeLink(procs.get(p));
            ids[p] = CudaGroup.jobUniqueId(link);
            List<CudaBackend> bes = new ArrayList<>();
            for (int d : gpus(k)) {
                bes.add(CudaBackend.open(Device.cuda(d), Precision.FP32, dev -> HostKernels.INSTANCE));
            }
            // the NCCL ranks, through the communicator itself
            List<CudaCommunicator> raw = CudaCommunicator.createInJob(bes, DEADLINE, N, p * k, total, ids[p], link);
            for (int i = 0; i < k; i++) {
                ncclRank[p * k + i] = raw.get(i).ncclRank();
                ncclRanks[p * k + i] = raw.get(i).ncclRanks();
            }
            onThreads(k, "p" + p + "-closing", i -> raw.get(i).close());
            // the path Communicators.forGroup takes: its own id, broadcast over the link
            List<TensorCommunicator> comms = CudaGroup.acrossProcesses(new ArrayList<Backend>(bes), DEADLINE, N, link);
            describe[p] = comms.get(0).describe();
            onThreads(k, "p" + p + "-replica", i -> {
                CudaBackend be = bes.get(i);
                TensorCommunicator c = comms.get(i);
                int g = c.rank();
                rank[p * k + i] = g;
                size[p * k + i] = c.size();
                try (Tensor t = be.allocate(DType.FLOAT32, N)) {
                    be.upload(data(g), 0, t);
                    c.allReduce(t, ReduceOp.SUM);
                    be.synchronize();
                    // the stubs finish a collective when its last process issues it
                    everyReplica.await(60, TimeUnit.SECONDS);
                    float[] out = new float[N];
                    be.download(t, out, 0);
                    sum[g] = out;
                    be.upload(data(g), 0, t);
                    c.broadcast(t, total - 1);
                    be.synchronize();
                    everyReplica.await(60, TimeUnit.SECONDS);
                    float[] b = new float[N];
                    be.download(t, b, 0);
                    bcast[g] = b;
                }
            });
            onThreads(k, "p" + p + "-close", i -> comms.get(i).close());
            bes.forEach(CudaBackend::close);
        });
        procs.forEach(LocalCommunicator::close);
        System.out.println(describe[0]);
        for (int p = 1; p < PROCESSES; p++) {
            assertArrayEquals(ids[0], ids[p], "the NCCL id of process " + p);
        }
        for (int r = 0; r < total; r++) {
            assertEquals(r, ncclRank[r], "NCCL rank of global rank " + r);
            assertEquals(total, ncclRanks[r]);
            assertEquals(total, size[r]);
        }
        assertArrayEquals(java.util.stream.IntStream.range(0, total).toArray(), java.util.Arrays.stream(rank).sorted()
                .toArray(), "global ranks over the job");
        double[] want = new double[N];
        for (int r = 0; r < total; r++) {
            float[] x = data(r);
            for (int i = 0; i < N; i++) {
                want[i] += x[i];
            }
        }
        float[] root = data(total - 1);
        for (int r = 0; r < total; r++) {
            for (int i = 0; i < N; i++) {
                assertEquals(want[i], sum[r][i], 1e-4, "all-reduce sum at rank " + r + " index " + i);
            }
            assertArrayEquals(root, bcast[r], "broadcast from rank " + (total - 1) + " at rank " + r);
        }
        assertTrue(describe[0].contains("of " + total + " over the job"), describe[0]);
    }

    @Test
    void twoReplicasOnOneGpuAcrossProcessesAreRefused() throws Exception {
        List<LocalCommunicator> procs = LocalCommunicator.create(PROCESSES, DEADLINE);
        String[] msg = new String[PROCESSES];
        onThreads(PROCESSES, "process", p -> {
            List<CudaBackend> bes = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                bes.add(CudaBackend.open(Device.cuda(0), Precision.FP32, dev -> HostKernels.INSTANCE));
            }
            try {
                msg[p] = assertThrows(UserInputException.class, () -> CudaGroup.acrossProcesses(
                        new ArrayList<Backend>(bes), DEADLINE, N, new FakeLink(procs.get(p)))).getMessage();
            } finally {
                bes.forEach(CudaBackend::close);
            }
        });
        procs.forEach(LocalCommunicator::close);
        assertTrue(msg[0].contains("cuda:0xN") && msg[0].contains("GPU of its own"), msg[0]);
    }
}
