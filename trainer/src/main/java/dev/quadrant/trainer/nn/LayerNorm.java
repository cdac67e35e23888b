package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * LayerNorm over the last dimension (PyTorch's {@code nn.LayerNorm(D)}, eps {@code 1e-5}): for each vector of
 * {@code x [rows, ..., D]}, {@code y = (x - mean) / sqrt(var + eps) * weight + bias} with the biased variance. The mean
 * and reciprocal standard deviation of every vector are saved for backward, which writes {@code dx} and accumulates
 * the gradients of {@code weight [D]} and {@code bias [D]} ({@link Backend#layerNormBackward}); the input gradient
 * is written over {@code dy}, so LayerNorm needs no gradient buffer of its own.
 *
 * <p>{@code weight} starts at 1 and {@code bias} at 0; neither decays.
 *
 * <pre>{@code
 * Module ln = new LayerNorm();   // input [T, D], output [T, D]
 * }</pre>
 */
public final class LayerNorm implements Module {
    /** PyTorch's default. */
    public static final float EPS = 1e-5f;

    private int dim;
    private ParamRef g;
    private ParamRef b;
    private ActivationRef ySlot;
    private ActivationRef meanSlot;
    private ActivationRef rstdSlot;
    private Backend be;
    private Tensor gamma;    // [D]
    private Tensor beta;     // [D]
    private Tensor dGamma;   // [D]
    private Tensor dBeta;    // [D]
    private Tensor y;        // [maxRows, ..., D]
    private Tensor mean;     // [maxRows, ...]
    private Tensor rstd;     // [maxRows, ...]
    private Tensor x;        // last input, not owned

    @Override
    public int[] declare(Declare d, int[] in) {
        if (in.length == 0) {
            throw new UserInputException(d.name() + ": LayerNorm needs an input with features, got a scalar per sample");
        }
        dim = in[in.length - 1];
        int[] vectors = java.util.Arrays.copyOf(in, in.length - 1);   // [] for in = [D]: one vector per sample
        g = d.param("weight", false, dim);
        b = d.param("bias", false, dim);
        ySlot = d.saved("y", DType.FLOAT32, in);
        meanSlot = d.saved("mean", DType.FLOAT32, vectors);
        rstdSlot = d.saved("rstd", DType.FLOAT32, vectors);
        return in;
    }

    @Override
    public void initialize(Init init) {
        init.fill(g, 1f);
        // bias stays zero
    }

    @Override
    public void bind(Bind bind) {
        be = bind.backend();
        gamma = bind.value(g);
        beta = bind.value(b);
        dGamma = bind.gradient(g);
        dBeta = bind.gradient(b);
        y = bind.tensor(ySlot);
        mean = bind.tensor(meanSlot);
        rstd = bind.tensor(rstdSlot);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        x = input;
        int rows = input.dim(0);
        Tensor yb = y.rows(0, rows);
        Tensor xm = Shapes.asMatrix(input);
        be.layerNormForward(xm, gamma, beta, EPS, Shapes.asMatrix(yb), vectors(mean, rows), vectors(rstd, rows));
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        int rows = dy.dim(0);
        Tensor dym = Shapes.asMatrix(dy);   // dx is written over dy (allowed by the op)
        be.layerNormBackward(Shapes.asMatrix(x), gamma, vectors(mean, rows), vectors(rstd, rows), dym, dym, dGamma,
                dBeta);
        return ctx.needInputGradient() ? dy : null;
    }

    /** The first {@code rows} samples' statistics as one vector {@code [rows * ...]}. */
    private static Tensor vectors(Tensor stats, int rows) {
        Tensor s = stats.rows(0, rows);
        return s.reshape(s.intSize());
    }

    @Override
    public String describe() { return "LayerNorm(" + dim + ")"; }
}
