package dev.quadrant.tests.nosync;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.device.cuda.CudaBackend;
import dev.quadrant.kernels.HostKernels;
import dev.quadrant.trainer.parallel.NonFinitePolicy;
import dev.quadrant.trainer.train.Training;

/**
 * {@link NoHostSyncTest} on GPU replicas over the stub CUDA libraries (every kernel as {@link HostKernels}, the CUDA
 * communicators and NCCL stubs): no host wait inside a step of {@code single} ({@code cuda:0}), {@code allreduce}
 * and {@code ps} ({@code cuda:0x2}, {@code cuda:0,1}) with {@code --clip-norm 1} and both {@code --on-nan} policies,
 * and the poisoned steps still skipped or named. Run with {@code -Pfakes -Dquadrant.fakes=DIR}; on a GPU host
 * {@code scripts/gpu-check.sh} runs the same (check {@code no-host-sync}).
 */
@Tag("fakes")
class NoHostSyncFakesTest {

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    static final Training.BackendFactory STUB_GPUS = (d, threads, p) -> d.isCpu()
            ? Training.BackendFactory.DEFAULT.create(d, threads, p) : CudaBackend.open(d, p, dev -> HostKernels.INSTANCE);

    @ParameterizedTest(name = "{1} on {0}, --on-nan {2}")
    @CsvSource({"cuda:0, allreduce, SKIP", "cuda:0, allreduce, ABORT", "cuda:0x2, allreduce, SKIP",
        "cuda:0x2, allreduce, ABORT", "'cuda:0,1', allreduce, SKIP", "cuda:0x2, ps, SKIP", "cuda:0x2, ps, ABORT",
        "'cuda:0,1', ps, ABORT"})
    void noHostWaitInsideAStepOnStubGpus(String devices, String strategy, NonFinitePolicy policy) {
        NoHostSyncTest.noWaitInsideASyncStep(devices, strategy, policy, STUB_GPUS);
    }
}
