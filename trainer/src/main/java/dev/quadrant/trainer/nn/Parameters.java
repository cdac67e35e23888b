package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * The flat parameter and gradient buffers of one model replica, with views per layout entry.
 *
 * <p>Owns both buffers and closes them. Not thread-safe: belongs to one replica.
 */
public final class Parameters implements AutoCloseable {
    private final ParamLayout layout;
    private final Tensor values;     // [P]
    private final Tensor gradients;  // [P]

    public Parameters(Backend backend, ParamLayout layout) {
        this.layout = layout;
        int p = Math.toIntExact(layout.totalSize());
        this.values = backend.allocate(DType.FLOAT32, p);
        this.gradients = backend.allocate(DType.FLOAT32, p);
    }

    public ParamLayout layout() { return layout; }

    /** The flat parameter buffer, {@code [P]}. */
    public Tensor values() { return values; }

    /** The flat gradient buffer, {@code [P]}. */
    public Tensor gradients() { return gradients; }

    /** View of parameter {@code name} with its shape. */
    public Tensor value(String name) {
        ParamLayout.Entry e = layout.entry(name);
        return values.view(e.offset(), e.shape());
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
    }
}
