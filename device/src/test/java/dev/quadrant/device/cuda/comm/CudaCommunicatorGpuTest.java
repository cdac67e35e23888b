package dev.quadrant.device.cuda.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.comm.CommunicatorTimeoutException;
import dev.quadrant.device.comm.RankFailedException;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA communicators on real GPUs ({@code mvn test -Dtest.excludedGroups= -Dgroups=gpu}): the checks of
 * {@link CudaCommunicatorFakesTest} with the NVRTC-compiled kernels, real streams and the real NCCL: four replicas on
 * GPU 0 (device-local only, and with NCCL on one rank), one NCCL rank on every GPU present, the hierarchical layout
 * when there are two GPUs, a rank that never arrives, an abort.
 */
@Tag("gpu")
class CudaCommunicatorGpuTest {

    @BeforeEach
    void needsCuda() {
        CudaProbe.Result r = CudaProbe.get();
        Assumptions.assumeTrue(r.usable(), "CUDA not usable: " + r.reason());
    }

    static List<CudaBackend> backends(int... devices) {
        List<CudaBackend> out = new ArrayList<>();
        for (int d : devices) {
            out.add(CudaBackend.open(Device.cuda(d), Precision.FP32));
        }
        return out;
    }

    @Test
    void fourReplicasOnGpu0DeviceLocalOnly() throws Exception {
        CudaCommunicatorFakesTest.everyCollective(backends(0, 0, 0, 0), Layers.LOCAL_ONLY, 1e-5, false);
    }

    @Test
    void fourReplicasOnGpu0WithNcclOnOneRank() throws Exception {
        Assumptions.assumeTrue(CudaProbe.get().ncclUsable(), "NCCL not usable: " + CudaProbe.get().ncclReason());
        CudaCommunicatorFakesTest.everyCollective(backends(0, 0, 0, 0), Layers.WITH_NCCL, 1e-5, true);
    }

    @Test
    void oneNcclRankOnEveryGpu() throws Exception {
        Assumptions.assumeTrue(CudaProbe.get().ncclUsable(), "NCCL not usable: " + CudaProbe.get().ncclReason());
        int n = Cuda.deviceCount();
        int[] all = new int[n];
        for (int d = 0; d < n; d++) {
            all[d] = d;
        }
        System.out.println("one NCCL rank on each of " + n + " GPU(s)");
        CudaCommunicatorFakesTest.everyCollective(backends(all), Layers.AUTO, 1e-5, true);
    }

    @Test
    void hierarchicalOnTwoGpus() throws Exception {
        Assumptions.assumeTrue(Cuda.deviceCount() >= 2, "needs two GPUs");
        CudaCommunicatorFakesTest.everyCollective(backends(0, 0, 1, 1), Layers.AUTO, 1e-5, true);
    }

    @Test
    void aRankThatNeverArrivesIsNamed() throws Exception {
        List<CudaBackend> bes = backends(0, 0, 0);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofMillis(500), Layers.AUTO, 1024);
        try {
            Throwable[] thrown = CudaCommunicatorFakesTest.onRanks(3, r -> {
                if (r == 1) {
                    return;
                }
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 1024)) {
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, 1024, ReduceOp.SUM);
                }
            });
            for (int r : new int[] {0, 2}) {
                CommunicatorTimeoutException e = assertInstanceOf(CommunicatorTimeoutException.class, thrown[r]);
                assertEquals(List.of(1), e.missingRanks(), e.getMessage());
            }
        } finally {
            CudaCommunicatorFakesTest.closeAll(comms, bes);
        }
    }

    @Test
    void anAbortStopsTheOthers() throws Exception {
        List<CudaBackend> bes = backends(0, 0);
        List<CudaCommunicator> comms = CudaCommunicator.create(bes, Duration.ofSeconds(60), Layers.AUTO, 1024);
        RuntimeException boom = new RuntimeException("boom");
        try {
            long t0 = System.nanoTime();
            Throwable[] thrown = CudaCommunicatorFakesTest.onRanks(2, r -> {
                if (r == 1) {
                    Thread.sleep(300);
                    comms.get(1).abort(boom);
                    return;
                }
                try (Tensor t = bes.get(r).allocate(DType.FLOAT32, 1024)) {
                    comms.get(r).allReduce(CudaBuffer.of(t), 0, 1024, ReduceOp.SUM);
                }
            });
            assertTrue((System.nanoTime() - t0) / 1e9 < 5);
            RankFailedException e = assertInstanceOf(RankFailedException.class, thrown[0]);
            assertSame(boom, e.getCause());
        } finally {
            CudaCommunicatorFakesTest.closeAll(comms, bes);
        }
    }
}
