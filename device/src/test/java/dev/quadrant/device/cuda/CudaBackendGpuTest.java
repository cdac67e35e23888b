package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.kernels.KernelCompiler;
import dev.quadrant.kernels.KernelFamily;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a GPU host ({@code mvn test -Dtest.excludedGroups= -Dgroups=gpu}): the self-test in every precision on every GPU,
 * NVRTC compiling every kernel family for the device with the disk cache, and no device allocation in steady state.
 */
@Tag("gpu")
class CudaBackendGpuTest {

    @BeforeEach
    void needsCuda() {
        CudaProbe.Result r = CudaProbe.get();
        Assumptions.assumeTrue(r.usable(), "CUDA not usable: " + r.reason());
    }

    @Test
    void selfTestPassesInEveryPrecision() {
        CudaInfo.describe().forEach(System.out::println);
        for (Precision p : Precision.values()) {
            List<SelfTest.Report> reports = SelfTest.runAllGpus(p);
            assertFalse(reports.isEmpty());
            for (SelfTest.Report r : reports) {
                r.lines().forEach(System.out::println);
                assertTrue(r.passed(), p + ": " + String.join("\n", r.lines()));
            }
        }
    }

    @Test
    void kernelsCompileForThisGpuAndCache(@TempDir Path dir) throws Exception {
        KernelCompiler kc = new KernelCompiler(dir, dev.quadrant.bindings.cuda.Nvrtc::compile, "nvrtc-test");
        dev.quadrant.bindings.cuda.Cuda.DeviceInfo info = dev.quadrant.bindings.cuda.Cuda.deviceInfo(0);
        KernelCompiler.Target t = KernelCompiler.Target.choose(info.major(), info.minor(),
                dev.quadrant.bindings.cuda.Nvrtc.supportedArchs());
        for (KernelFamily f : KernelFamily.values()) {
            KernelCompiler.Image img = kc.compile(f, t);
            assertFalse(img.fromCache());
            assertTrue(Files.size(img.cacheFile()) > 0);
            assertTrue(kc.compile(f, t).fromCache());
            System.out.println(f.file() + " -> " + img.bytes().length + " bytes " + t.archName()
                    + (img.log().isBlank() ? "" : " log: " + img.log()));
        }
        dev.quadrant.kernels.DeviceKernels dk = dev.quadrant.kernels.DeviceKernels.load(0, kc);
        assertEquals(KernelFamily.values().length, dk.images().size());
        assertTrue(dk.images().values().stream().allMatch(KernelCompiler.Image::fromCache));
    }

    @Test
    void steadyStateAllocatesNothing() {
        try (CudaBackend be = CudaBackend.open(Device.cuda(0), Precision.BF16)) {
            Runnable step = () -> {
                try (Tensor a = be.allocate(DType.FLOAT32, 64, 128); Tensor b = be.allocate(DType.FLOAT32, 32, 128);
                     Tensor c = be.allocate(DType.FLOAT32, 64, 32)) {
                    be.gemm(false, true, 1f, a, b, 0f, c);
                    be.activationForward(dev.quadrant.device.Activation.GELU, c, c);
                }
            };
            step.run();
            long before = be.deviceMallocCalls();
            for (int i = 0; i < 10; i++) {
                step.run();
            }
            be.synchronize();
            assertEquals(before, be.deviceMallocCalls(), "cudaMalloc calls after the first step");
        }
    }
}
