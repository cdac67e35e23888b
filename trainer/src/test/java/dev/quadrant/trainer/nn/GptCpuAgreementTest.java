package dev.quadrant.trainer.nn;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The same GPT (same float32 parameters, ids, labels and dropout masks) on the CPU backend (float32) and on the
 * float64 reference: logits, the input gradient of the head and every parameter gradient agree within float32
 * tolerance.
 *
 * <p>Tolerance: 5e-5 relative to each tensor's largest reference value (plus 1e-9). Float32 rounding is 6e-8 per
 * operation; sums over at most a few hundred terms and two blocks of LayerNorm, softmax and GEMMs amplify it, and
 * the worst seen here is below 2e-6; a wrong op (a missing scale, a transposed operand, a mask from the wrong row)
 * is off by O(1).
 * The second case has sizes that are multiples of 8, so the CPU backend's vectorised paths run as well as its
 * remainders.
 */
class GptCpuAgreementTest {
    private static final double TOL = 5e-5;

    /** layers, heads, dim, T, vocab, rows, dropout, tie. */
    static Stream<Arguments> models() {
        return Stream.of(Arguments.of(2, 3, 6, 5, 7, 3, 0.1f, true),
                Arguments.of(2, 4, 32, 16, 50, 4, 0.1f, false),
                Arguments.of(1, 2, 6, 1, 7, 1, 0f, true));
    }

    @ParameterizedTest(name = "layers {0}, heads {1}, dim {2}, T {3}, vocab {4}, rows {5}, dropout {6}, tie {7}")
    @MethodSource("models")
    void cpuAgreesWithReference(int layers, int heads, int dim, int t, int vocab, int rows, float dropout, boolean tie) {
        ForwardContext ctx = new ForwardContext(dropout > 0, 13, 8);
        try (ReferenceBackend ref = new ReferenceBackend();
             Backend cpu = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 2);
             ModuleCheck want = new ModuleCheck(ref, Gpt.build(layers, heads, dim, t, vocab, dropout, tie),
                     new int[] {t}, DType.INT32, vocab, rows, ModuleCheck.Objective.CROSS_ENTROPY, 31);
             ModuleCheck got = new ModuleCheck(cpu, Gpt.build(layers, heads, dim, t, vocab, dropout, tie),
                     new int[] {t}, DType.INT32, vocab, rows, ModuleCheck.Objective.CROSS_ENTROPY, 31)) {
            want.context = ctx;
            got.context = ctx;
            String what = "CPU vs reference, " + want.model.describe().lines().findFirst().orElse("");
            ModuleCheck.assertClose(what + ": logits", ReferenceBackend.values(want.model.forward(want.x, ctx)),
                    ModuleCheck.floats(cpu, got.model.forward(got.x, ctx)), TOL);
            want.gradients(false);
            got.gradients(false);
            ModuleCheck.assertSameGradients(what, want, got, TOL);
        }
    }
}
