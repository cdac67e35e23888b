package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * A layer with an explicit forward and backward pass over row-major batches {@code [rows, features]}.
 *
 * <p>Lifecycle: {@link #declare} its parameters into a layout, {@link #bind} to a backend (takes views into the
 * model's flat buffers and allocates activation buffers for at most {@code maxRows} rows), then any number of
 * {@link #forward}/{@link #backward} pairs, then {@link #close}. A layer instance belongs to one replica.
 */
public interface Layer extends AutoCloseable {

    /** Output features for {@code inFeatures} input features; throws if the layer cannot take that input. */
    int outFeatures(int inFeatures);

    /** Declares this layer's parameters under {@code prefix} (e.g. {@code "layers.0."}); none by default. */
    default void declare(ParamLayout.Builder layout, String prefix, int inFeatures) {}

    /** Writes initial parameter values into the host copy of the flat buffer; nothing by default. */
    default void initialize(float[] flat, ParamLayout layout, String prefix, Initializer init,
                            java.util.SplittableRandom rng) {}

    /** Takes parameter views and allocates buffers for up to {@code maxRows} rows. */
    void bind(Backend backend, Parameters params, String prefix, int maxRows, int inFeatures);

    /**
     * Forward pass; returns a view of the layer's output buffer {@code [rows, out]}, valid until the next forward.
     * Keeps what backward needs (a reference to {@code x}, which the caller must not overwrite before backward).
     */
    Tensor forward(Tensor x, ForwardContext ctx);

    /**
     * Backward pass for the last forward: writes parameter gradients (overwriting, not accumulating) and returns the
     * input gradient {@code [rows, in]}, or null when {@code needInputGradient} is false. May overwrite {@code dy}.
     */
    Tensor backward(Tensor dy, boolean needInputGradient);

    /** Short description, e.g. {@code Linear(784 -> 256)}. */
    String describe(int inFeatures);

    @Override
    void close();
}
