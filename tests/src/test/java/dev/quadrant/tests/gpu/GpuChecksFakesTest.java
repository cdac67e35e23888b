package dev.quadrant.tests.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.quadrant.device.Device;
import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.device.cuda.Precision;
import dev.quadrant.examples.gpu.Check;
import dev.quadrant.examples.gpu.GpuChecks;
import dev.quadrant.kernels.HostKernels;

/**
 * The GPU acceptance checks ({@link GpuChecks}, what {@code scripts/gpu-check.sh} runs on a GPU host) run here on the
 * stub libraries with {@link HostKernels}, so their own logic (layouts, comparisons, fault injection, timing) is
 * exercised before it meets a GPU. A smaller model than on the GPU keeps the stub cuBLAS fast.
 * Run with {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class GpuChecksFakesTest {

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    static void allPass(List<Check> checks, int expected) {
        checks.forEach(System.out::println);
        assertEquals(expected, checks.size(), "number of checks");
        for (Check c : checks) {
            assertTrue(c.passed(), c.toString());
        }
    }

    @Test
    void equivalenceOnEveryLayout() {
        allPass(GpuChecks.equivalence((d, t, p) -> CudaBackend.open(d, p, x -> HostKernels.INSTANCE),
                GpuChecks.layouts(2), "synthetic:32x4x1500", "mlp:24-16"), 8);
    }

    @Test
    void killedAndHungReplicas() {
        allPass(GpuChecks.killedReplica(d -> CudaBackend.open(Device.cuda(d), Precision.FP32, x -> HostKernels.INSTANCE),
                new int[][] {{0, 0, 0, 0}, {0, 0, 1, 1}}), 10);
    }

    @Test
    void ncclOnEveryGpu() {
        allPass(GpuChecks.ncclAllGpus(d -> HostKernels.INSTANCE), 1);
    }
}
