package dev.quadrant.tests.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * A tensor argument for the conformance suite: a view at an odd element offset ({@link #PAD_BEFORE}) into a larger
 * buffer whose elements around the view hold a sentinel, so that a test can check that an op touched only its
 * view ({@link #assertGuardsIntact}) and did not assume aligned or zero offsets.
 */
final class Guarded implements AutoCloseable {
    static final int PAD_BEFORE = 3;
    static final int PAD_AFTER = 5;
    static final float FLOAT_SENTINEL = -1234.5f;
    static final int INT_SENTINEL = 0x5EAD_BEEF;

    private final Backend backend;
    private final Tensor root;
    final Tensor view;
    private final int n;

    private Guarded(Backend backend, DType dtype, int[] shape) {
        this.backend = backend;
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        this.n = size;
        this.root = backend.allocate(dtype, PAD_BEFORE + n + PAD_AFTER);
        this.view = root.view(PAD_BEFORE, shape);
    }

    /** A FLOAT32 view holding {@code data}, shaped {@code shape}, with sentinels around it. */
    static Guarded floats(Backend be, float[] data, int... shape) {
        Guarded g = new Guarded(be, DType.FLOAT32, shape);
        float[] all = new float[PAD_BEFORE + g.n + PAD_AFTER];
        Arrays.fill(all, FLOAT_SENTINEL);
        System.arraycopy(data, 0, all, PAD_BEFORE, g.n);
        be.upload(all, 0, g.root);
        return g;
    }

    /** An INT32 view holding {@code data}, with sentinels around it. */
    static Guarded ints(Backend be, int[] data, int... shape) {
        Guarded g = new Guarded(be, DType.INT32, shape);
        int[] all = new int[PAD_BEFORE + g.n + PAD_AFTER];
        Arrays.fill(all, INT_SENTINEL);
        System.arraycopy(data, 0, all, PAD_BEFORE, g.n);
        be.upload(all, 0, g.root);
        return g;
    }

    /** A BF16 view of zeros; its guards are zeros too (there is no bf16 upload), checked as such. */
    static Guarded bf16(Backend be, int... shape) {
        return new Guarded(be, DType.BF16, shape);
    }

    float[] floats() {
        float[] out = new float[n];
        backend.download(view, out, 0);
        return out;
    }

    int[] ints() {
        int[] out = new int[n];
        backend.download(view, out, 0);
        return out;
    }

    /** The raw bf16 patterns of the view, read through {@code castFromBf16} (exact). */
    short[] bf16Bits() {
        float[] all = bf16All();
        short[] out = new short[n];
        for (int i = 0; i < n; i++) {
            out[i] = (short) (Float.floatToRawIntBits(all[PAD_BEFORE + i]) >>> 16);
        }
        return out;
    }

    private float[] bf16All() {
        try (Tensor f = backend.allocate(DType.FLOAT32, PAD_BEFORE + n + PAD_AFTER)) {
            backend.castFromBf16(root, f);
            float[] all = new float[PAD_BEFORE + n + PAD_AFTER];
            backend.download(f, all, 0);
            return all;
        }
    }

    /** Fails, naming {@code op} and the element, if anything outside the view changed. */
    void assertGuardsIntact(String op) {
        int total = PAD_BEFORE + n + PAD_AFTER;
        switch (root.dtype()) {
            case FLOAT32 -> {
                float[] all = new float[total];
                backend.download(root, all, 0);
                for (int i = 0; i < total; i++) {
                    if ((i < PAD_BEFORE || i >= PAD_BEFORE + n) && Float.floatToRawIntBits(all[i])
                            != Float.floatToRawIntBits(FLOAT_SENTINEL)) {
                        fail(op + " wrote outside its view " + view + ": buffer element " + i + " is " + all[i]
                                + ", expected the sentinel " + FLOAT_SENTINEL);
                    }
                }
            }
            case INT32 -> {
                int[] all = new int[total];
                backend.download(root, all, 0);
                for (int i = 0; i < total; i++) {
                    if ((i < PAD_BEFORE || i >= PAD_BEFORE + n) && all[i] != INT_SENTINEL) {
                        fail(op + " wrote outside its view " + view + ": buffer element " + i + " is " + all[i]
                                + ", expected the sentinel " + INT_SENTINEL);
                    }
                }
            }
            case BF16 -> {
                float[] all = bf16All();
                for (int i = 0; i < total; i++) {
                    if ((i < PAD_BEFORE || i >= PAD_BEFORE + n) && Float.floatToRawIntBits(all[i]) != 0) {
                        fail(op + " wrote outside its view " + view + ": buffer element " + i + " is " + all[i]
                                + ", expected 0");
                    }
                }
            }
            default -> throw new IllegalStateException("unknown dtype " + root.dtype());
        }
    }

    /** {@link #assertGuardsIntact(String)} for each of {@code all}. */
    static void assertAllGuardsIntact(String op, Guarded... all) {
        for (Guarded g : all) {
            g.assertGuardsIntact(op);
        }
    }

    @Override
    public void close() {
        root.close();
    }
}
