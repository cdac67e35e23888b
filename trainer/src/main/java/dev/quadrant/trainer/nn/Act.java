package dev.quadrant.trainer.nn;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** A pointwise activation (ReLU, GELU, Tanh) as a module; backward writes the input gradient in place into {@code dy}. */
public final class Act implements Module {
    private final Activation f;
    private ActivationRef ySlot;
    private Backend be;
    private Tensor y;
    private Tensor x;   // last input, not owned

    public Act(Activation f) {
        this.f = f;
    }

    public Activation activation() { return f; }

    @Override
    public int[] declare(Declare d, int[] in) {
        ySlot = d.saved("y", DType.FLOAT32, in);
        return in;
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        y = b.tensor(ySlot);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        this.x = input;
        Tensor yb = y.rows(0, input.dim(0));
        be.activationForward(f, input, yb);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        if (!ctx.needInputGradient()) {
            return null;
        }
        be.activationBackward(f, x, dy, dy);
        return dy;
    }

    @Override
    public String describe() {
        return switch (f) {
            case RELU -> "ReLU";
            case GELU -> "GELU";
            case TANH -> "Tanh";
        };
    }
}
