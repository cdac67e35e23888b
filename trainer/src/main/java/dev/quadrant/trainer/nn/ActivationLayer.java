package dev.quadrant.trainer.nn;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** A pointwise activation (ReLU, GELU, Tanh) as a layer; backward writes the input gradient in place into {@code dy}. */
public final class ActivationLayer implements Layer {
    private final Activation f;
    private Backend be;
    private Tensor y;   // [maxRows, features]
    private Tensor x;   // last input, not owned

    public ActivationLayer(Activation f) {
        this.f = f;
    }

    public Activation activation() { return f; }

    @Override
    public int outFeatures(int inFeatures) { return inFeatures; }

    @Override
    public void bind(Backend backend, Parameters params, String prefix, int maxRows, int in) {
        this.be = backend;
        this.y = backend.allocate(DType.FLOAT32, maxRows, in);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        this.x = input;
        Tensor yb = y.rows(0, input.dim(0));
        be.activationForward(f, input, yb);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGradient) {
        if (!needInputGradient) {
            return null;
        }
        be.activationBackward(f, x, dy, dy);
        return dy;
    }

    @Override
    public String describe(int in) {
        return switch (f) {
            case RELU -> "ReLU";
            case GELU -> "GELU";
            case TANH -> "Tanh";
        };
    }

    @Override
    public void close() {
        if (y != null) {
            y.close();
            y = null;
        }
    }
}
