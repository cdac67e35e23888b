package dev.quadrant.device.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.HostKernels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * What the {@link CudaBackend} tests on the stub libraries share: the skip when the stubs are not built, a backend
 * whose kernels are {@link HostKernels}, the float64 reference with its tensors, seeded data and views at an odd
 * offset. Run with {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
abstract class FakesBackendTest {
    final Random rnd;
    final RefTensors ref = new RefTensors();
    final ReferenceBackend rb = ref.be();

    FakesBackendTest(long seed) {
        this.rnd = new Random(seed);
    }

    @BeforeAll
    static void needFakes() {
        String dir = System.getProperty("quadrant.fakes");
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "lib", "libcuda.so.1")),
                "stub libraries not built (native-bindings/src/test/fakes/setup-fakes.sh)");
    }

    static CudaBackend open(Precision p) {
        return CudaBackend.open(Device.cuda(0), p, dev -> HostKernels.INSTANCE);
    }

    float[] randn(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** {@code v} in a view at element offset 3 of a larger buffer (the caller closes the root, {@code [0]}). */
    static Tensor[] view(Backend be, float[] v, int... shape) {
        Tensor root = be.allocate(DType.FLOAT32, v.length + 5);
        Tensor t = root.view(3, shape);
        be.upload(v, 0, t);
        return new Tensor[] {root, t};
    }

    static float[] get(Backend be, Tensor t) {
        float[] out = new float[t.intSize()];
        be.download(t, out, 0);
        return out;
    }
}
