package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * The flat parameter and gradient buffers of one model replica, with views per layout entry; and, on a backend whose
 * GEMMs round to bfloat16 ({@link Backend#gemmRoundsToBf16}), a flat BF16 copy of the parameters (the fp32 buffer
 * stays the master that the optimizer updates), which the layers pass to their GEMMs ({@link #gemmValue}): the
 * products are those of the fp32 weights rounded per call, bit for bit, without a cast per GEMM. The optimizer writes
 * the copy in its update kernel ({@link #copyForUpdate}); any other writer of the parameters gets them through
 * {@link #values()}, which marks the copy stale, and {@link #refreshCopy} (called by {@code Replica} at the start of
 * each step and of each evaluation, after every writer) casts it again only then.
 *
 * <p>Owns its buffers and closes them. Not thread-safe: belongs to one replica.
 */
public final class Parameters implements AutoCloseable {
    private final ParamLayout layout;
    private final Backend backend;
    private final Tensor values;     // [P]
    private final Tensor gradients;  // [P]
    private final Tensor copy;       // [P] BF16, or null where GEMMs multiply fp32
    private boolean copyFresh;       // the copy holds the values rounded (the last writer was the fused update)

    public Parameters(Backend backend, ParamLayout layout) {
        this(backend, layout, backend.gemmRoundsToBf16());
    }

    /** As above, with ({@code bf16Copy}) or without the bf16 copy whatever the backend. */
    public Parameters(Backend backend, ParamLayout layout, boolean bf16Copy) {
        this.layout = layout;
        this.backend = backend;
        int p = Math.toIntExact(layout.totalSize());
        this.values = backend.allocate(DType.FLOAT32, p);
        this.gradients = backend.allocate(DType.FLOAT32, p);
        this.copy = bf16Copy ? backend.allocate(DType.BF16, p) : null;
    }

    public ParamLayout layout() { return layout; }

    /**
     * The flat parameter buffer, {@code [P]}. Whoever takes it may write it: the bf16 copy, if any, counts as stale
     * until the next {@link #refreshCopy}.
     */
    public Tensor values() {
        copyFresh = false;
        return values;
    }

    /**
     * For the optimizer, whose update writes the parameters and their bf16 copy in one pass: the flat buffer (not
     * marking the copy stale) and, through {@code copy}, the copy (null without one). Call {@link #copyWritten} once
     * the update is queued.
     */
    public Tensor valuesForUpdate() { return values; }

    /** The bf16 copy, {@code [P]} BF16, or null. */
    public Tensor copyForUpdate() { return copy; }

    /** The optimizer queued an update that wrote the copy too (a skipped update writes neither): it is fresh. */
    public void copyWritten() {
        copyFresh = copy != null;
    }

    /** The flat gradient buffer, {@code [P]}. */
    public Tensor gradients() { return gradients; }

    /** Whether there is a bf16 copy ({@link #gemmValue} hands it out). */
    public boolean hasCopy() { return copy != null; }

    /** View of parameter {@code name} with its shape. */
    public Tensor value(String name) {
        ParamLayout.Entry e = layout.entry(name);
        return values.view(e.offset(), e.shape());
    }

    /**
     * What a layer passes to {@link Backend#gemm} for parameter {@code name}: its view of the bf16 copy where there is
     * one, else {@link #value}.
     */
    public Tensor gemmValue(String name) {
        if (copy == null) {
            return value(name);
        }
        ParamLayout.Entry e = layout.entry(name);
        return copy.view(e.offset(), e.shape());
    }

    /**
     * Casts the fp32 parameters into the bf16 copy (one kernel over the flat buffer) unless the last writer was the
     * optimizer's update, which wrote it; nothing without a copy.
     */
    public void refreshCopy() {
        if (copy != null && !copyFresh) {
            backend.castToBf16(values, copy);
            copyFresh = true;
        }
    }

    /** View of the gradient of {@code name} with its shape. */
    public Tensor gradient(String name) {
        ParamLayout.Entry e = layout.entry(name);
        return gradients.view(e.offset(), e.shape());
    }

    @Override
    public void close() {
        values.close();
        gradients.close();
        if (copy != null) {
            copy.close();
        }
    }
}
