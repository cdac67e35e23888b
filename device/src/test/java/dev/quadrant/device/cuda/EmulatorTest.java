package dev.quadrant.device.cuda;

import java.util.Random;

import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.Kernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * What the emulated-kernel tests share: the host emulator ({@link KernelEmulator}, built once per test class; the
 * class is skipped when g++ is missing), the real {@link Kernels} launchers driving it, the float64 reference with its
 * tensors, seeded random data and the float comparison. Test classes run one after another (they share the static
 * emulator).
 */
abstract class EmulatorTest {
    static KernelEmulator emu;
    static Kernels k;

    final RefTensors ref = new RefTensors();
    final ReferenceBackend rb = ref.be();
    final Random rnd;

    EmulatorTest(long seed) {
        this.rnd = new Random(seed);
    }

    @BeforeAll
    static void startEmulator() throws Exception {
        emu = KernelEmulator.start();
        Assumptions.assumeTrue(emu != null, "g++ not installed: the kernel emulator cannot be built");
        k = new Kernels(emu);
    }

    @AfterAll
    static void stopEmulator() {
        if (emu != null) {
            k.close();
            emu.close();
            emu = null;
        }
    }

    float[] randn(int n, double s) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * s);
        }
        return x;
    }

    /** Within 1e-5 relative plus 1e-5 absolute everywhere; a failure names the worst element and both values. */
    static void near(String what, float[] got, double[] want) {
        SelfTest.Checker.compare(what, got, want, 1e-5, null);
    }
}
