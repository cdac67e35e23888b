package dev.quadrant.device.cuda;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * Host data as tensors of the float64 {@link ReferenceBackend}, for tests that check a kernel or a backend op against
 * the same op on the reference ({@code ref.be().gemm(...)}, then {@link #values}), through the self-test's helpers
 * ({@link SelfTest.Checker#floatsOn}, {@link SelfTest.Checker#want}). The tensors live on the Java heap and need no
 * closing. Not thread-safe, like the backend.
 *
 * <pre>{@code
 * RefTensors ref = new RefTensors();
 * Tensor x = ref.floats(data, 3, 4);
 * Tensor y = ref.zeros(3, 4);
 * ref.be().activationForward(Activation.GELU, x, y);
 * double[] want = RefTensors.values(y);
 * }</pre>
 */
final class RefTensors {
    private final ReferenceBackend be = new ReferenceBackend();

    /** The reference backend the tensors belong to. */
    ReferenceBackend be() { return be; }

    /** A FLOAT32 reference tensor of {@code shape} holding {@code v} (exactly: floats widen to doubles). */
    Tensor floats(float[] v, int... shape) {
        return SelfTest.Checker.floatsOn(be, v, shape);
    }

    /** An INT32 reference tensor of {@code shape} holding {@code v}. */
    Tensor ints(int[] v, int... shape) {
        return SelfTest.Checker.intsOn(be, v, shape);
    }

    /** A zero FLOAT32 reference tensor. */
    Tensor zeros(int... shape) {
        return be.allocate(DType.FLOAT32, shape);
    }

    /** The reference softmax cross-entropy of {@code logits [rows, cols]}: {@code {losses, dLogits (times scale)}}. */
    double[][] softmaxCrossEntropy(float[] logits, int[] labels, int rows, int cols, float scale) {
        Tensor x = floats(logits, rows, cols);
        Tensor y = ints(labels, rows);
        Tensor losses = zeros(rows);
        Tensor d = zeros(rows, cols);
        be.softmaxCrossEntropyForward(x, y, losses);
        be.softmaxCrossEntropyBackward(x, y, scale, d);
        return new double[][] {values(losses), values(d)};
    }

    /** The float64 elements of a FLOAT32 or BF16 reference tensor. */
    static double[] values(Tensor t) {
        return SelfTest.Checker.want(t);
    }

    /** The elements of an INT32 reference tensor. */
    static int[] ints(Tensor t) {
        return ReferenceBackend.ints(t);
    }
}
