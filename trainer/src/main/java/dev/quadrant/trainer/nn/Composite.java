package dev.quadrant.trainer.nn;

import dev.quadrant.device.Tensor;

/**
 * A module that is a fixed arrangement of other modules ({@code body}, usually a {@link Sequential}) and only checks
 * its input and names itself: {@link Block} and {@link Mlp}. Subclasses implement {@link #checkInput} and
 * {@link #describe}; everything else goes to the body.
 */
abstract class Composite implements Module {
    /** The arrangement this module is. */
    protected final Module body;

    protected Composite(Module body) {
        this.body = body;
    }

    /** Throws a {@link dev.quadrant.device.UserInputException} naming {@code d.name()} if the input does not fit. */
    protected abstract void checkInput(Declare d, int[] in);

    @Override
    public final int[] declare(Declare d, int[] in) {
        checkInput(d, in);
        return body.declare(d, in);
    }

    @Override
    public final void initialize(Init init) { body.initialize(init); }

    @Override
    public final void bind(Bind b) { body.bind(b); }

    @Override
    public final Tensor forward(Tensor x, ForwardContext ctx) { return body.forward(x, ctx); }

    @Override
    public final Tensor backward(Tensor dy, Backward ctx) { return body.backward(dy, ctx); }
}
