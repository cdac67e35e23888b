package dev.quadrant.trainer.nn;

import java.util.SplittableRandom;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Fully connected layer {@code y = x W^T + b} with {@code W [out, in]} and {@code b [out]} (PyTorch's layout and
 * names: {@code weight}, {@code bias}).
 *
 * <p>Backward computes only what is needed: {@code dW = dy^T x}, {@code db = column sums of dy}, and
 * {@code dx = dy W} only when the input gradient is asked for (never for the first layer).
 */
public final class Linear implements Layer {
    private final int out;
    private Backend be;
    private Tensor weight;   // [out, in]
    private Tensor bias;     // [out]
    private Tensor dWeight;  // [out, in]
    private Tensor dBias;    // [out]
    private Tensor y;        // [maxRows, out]
    private Tensor dx;       // [maxRows, in]
    private Tensor x;        // last input [rows, in], not owned

    public Linear(int out) {
        if (out <= 0) {
            throw new IllegalArgumentException("Linear output size must be > 0, got " + out);
        }
        this.out = out;
    }

    @Override
    public int outFeatures(int inFeatures) { return out; }

    @Override
    public void declare(ParamLayout.Builder layout, String prefix, int in) {
        layout.add(prefix + "weight", true, out, in);
        layout.add(prefix + "bias", false, out);
    }

    @Override
    public void initialize(float[] flat, ParamLayout layout, String prefix, Initializer init, SplittableRandom rng) {
        ParamLayout.Entry w = layout.entry(prefix + "weight");
        init.fill(flat, Math.toIntExact(w.offset()), w.shape()[1], w.shape()[0], rng);
        // bias stays zero
    }

    @Override
    public void bind(Backend backend, Parameters params, String prefix, int maxRows, int in) {
        this.be = backend;
        this.weight = params.value(prefix + "weight");
        this.bias = params.value(prefix + "bias");
        this.dWeight = params.gradient(prefix + "weight");
        this.dBias = params.gradient(prefix + "bias");
        this.y = backend.allocate(DType.FLOAT32, maxRows, out);
        this.dx = backend.allocate(DType.FLOAT32, maxRows, in);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        this.x = input;
        Tensor yb = y.rows(0, input.dim(0));
        be.gemm(false, true, 1f, input, weight, 0f, yb);
        be.addBias(yb, bias);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGradient) {
        be.gemm(true, false, 1f, dy, x, 0f, dWeight);
        be.columnSums(dy, 0f, dBias);
        if (!needInputGradient) {
            return null;
        }
        Tensor dxb = dx.rows(0, dy.dim(0));
        be.gemm(false, false, 1f, dy, weight, 0f, dxb);
        return dxb;
    }

    @Override
    public String describe(int in) { return "Linear(" + in + " -> " + out + ")"; }

    @Override
    public void close() {
        if (y != null) {
            y.close();
            dx.close();
            y = null;
            dx = null;
        }
    }
}
