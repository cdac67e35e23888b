package dev.quadrant.tests.conformance;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The float64 reference the suite compares with: {@link ReferenceBackend}, which has every op under its own name.
 * A check uploads the same float32 inputs it gives the backend under test, runs the same op here and compares
 * with {@link #values}. Reference tensors are Java arrays the garbage collector frees, so checks do not close them;
 * the backend itself holds no state, so one instance serves the suite.
 *
 * <pre>{@code
 * Tensor c = Ref.floats(c0, m, n);
 * Ref.BE.gemm(false, true, alpha, Ref.floats(a, m, k), Ref.floats(b, n, k), beta, c);
 * double[] want = Ref.values(c);
 * }</pre>
 */
final class Ref {
    private Ref() {}

    /** The reference backend. */
    static final ReferenceBackend BE = new ReferenceBackend();

    /** A FLOAT32 reference tensor holding {@code data} widened to double. */
    static Tensor floats(float[] data, int... shape) {
        Tensor t = BE.allocate(DType.FLOAT32, shape);
        BE.upload(data, 0, t);
        return t;
    }

    /** An INT32 reference tensor holding {@code data}. */
    static Tensor ints(int[] data, int... shape) {
        Tensor t = BE.allocate(DType.INT32, shape);
        BE.upload(data, 0, t);
        return t;
    }

    /** A zero FLOAT32 reference tensor. */
    static Tensor zeros(int... shape) {
        return BE.allocate(DType.FLOAT32, shape);
    }

    /** The elements of a reference tensor, in double. */
    static double[] values(Tensor t) {
        return ReferenceBackend.values(t);
    }

    /** Them narrowed to float: inputs for a later op that both sides must get identically. */
    static float[] narrowed(Tensor t) {
        float[] out = new float[t.intSize()];
        BE.download(t, out, 0);
        return out;
    }

    /** The elements of an INT32 reference tensor. */
    static int[] ints(Tensor t) {
        return ReferenceBackend.ints(t);
    }

    /**
     * A FLOAT32 reference tensor holding {@code |data|}: for error bounds, which scale with the magnitudes of the
     * terms a backend sums (a GEMM's with {@code |alpha| |A| |B| + |beta| |C|}: the same op run on absolute inputs).
     */
    static Tensor absFloats(float[] data, int... shape) {
        Tensor t = floats(data, shape);
        BE.abs(t, t);
        return t;
    }
}
