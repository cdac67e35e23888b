package dev.quadrant.trainer.nn;

import dev.quadrant.device.Tensor;

/**
 * A parameter's gradient for a module whose backward can overwrite it ({@link Bind#overwritableGradient}): the view,
 * and the beta its next write must use. {@link #beta} is 0 on the step's first write (the write replaces whatever the
 * buffer held: a GEMM or column sum with beta 0 does not read it) and 1 afterwards (accumulation over micro-batches,
 * or a second module writing the same parameter), and always 1 when some other writer binds the gradient plainly
 * ({@link Bind#gradient}: then {@link Parameters#beginStep} zeroes it as before). So the sum over a step's writes is
 * the same as accumulating onto zeros, bit for bit (x + 0 is x), without the zero-fill.
 *
 * <pre>{@code
 * dWeight = bind.overwritableGradient(w);   // in bind
 * be.gemm(true, false, 1f, dy, x, dWeight.beta(), dWeight.tensor());   // in backward: one beta() per write
 * }</pre>
 */
public final class GradientSink {
    private final Parameters params;
    private final int entry;
    private final Tensor tensor;

    GradientSink(Parameters params, int entry, Tensor tensor) {
        this.params = params;
        this.entry = entry;
        this.tensor = tensor;
    }

    /** The gradient view, with the parameter's shape. */
    public Tensor tensor() { return tensor; }

    /**
     * The beta for the write about to be queued: 0 if it is this step's first write of this gradient, else 1. Call it
     * exactly once per write, just before it (the call records the write).
     */
    public float beta() { return params.betaFor(entry); }
}
