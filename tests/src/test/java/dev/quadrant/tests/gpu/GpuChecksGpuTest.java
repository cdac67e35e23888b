package dev.quadrant.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.examples.gpu.Check;
import dev.quadrant.examples.gpu.GpuChecks;
import dev.quadrant.kernels.DeviceKernels;
import dev.quadrant.kernels.LaunchTarget;
import dev.quadrant.tests.TestData;
import dev.quadrant.trainer.train.Training;

/**
 * The GPU acceptance checks of issues 4 and 5 on a GPU host ({@code mvn test -Dtest.excludedGroups= -Dgroups=gpu}):
 * sync strategies on {@code cuda:0x2}/{@code cuda:0x4} (and two-GPU layouts) equal one replica on {@code cuda:0};
 * hogwild and gossip on {@code cuda:0x4} reach 0.97 on MNIST; NCCL on every GPU; killed and hung replicas end the run
 * naming them; MNIST on {@code cuda:0} reaches 0.97. The same code runs from the bundle via
 * {@code scripts/gpu-check.sh}.
 */
@Tag("gpu")
class GpuChecksGpuTest {

    @BeforeEach
    void needsCuda() {
        CudaProbe.Result r = CudaProbe.get();
        Assumptions.assumeTrue(r.usable(), "CUDA not usable: " + r.reason());
    }

    static void allPass(List<Check> checks) {
        checks.forEach(System.out::println);
        for (Check c : checks) {
            assertTrue(c.passed(), c.toString());
        }
    }

    @Test
    void syncStrategiesEqualOneReplica() {
        allPass(GpuChecks.equivalence(Training.BackendFactory.DEFAULT, GpuChecks.layouts(Cuda.deviceCount())));
    }

    @Test
    void ncclOnEveryGpu() {
        allPass(GpuChecks.ncclAllGpus(d -> LaunchTarget.cuda(DeviceKernels.forDevice(d))));
    }

    @Test
    void killedReplicasEndTheRun() {
        allPass(GpuChecks.killedReplica(d -> CudaBackend.open(Device.cuda(d), Precision.FP32),
                Cuda.deviceCount() >= 2 ? new int[][] {{0, 0, 0, 0}, {0, 0, 1, 1}} : new int[][] {{0, 0, 0, 0}}));
    }

    @Test
    void mnistOnOneGpu() {
        allPass(List.of(GpuChecks.mnistSingleGpu(TestData.dataset("mnist"))));
    }

    @Test
    void hogwildAndGossipOnFourReplicasOfOneGpu() {
        allPass(GpuChecks.asyncMnist(TestData.dataset("mnist")));
    }
}
