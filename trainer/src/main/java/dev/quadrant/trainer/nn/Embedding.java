package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * Token embedding: INT32 ids {@code [rows, T]} to vectors {@code [rows, T, D]}, a row gather from {@code weight [V, D]}
 * (PyTorch's {@code nn.Embedding}, GPT-2's {@code wte}). Backward scatter-adds {@code dy} into the weight's gradient
 * ({@link Backend#embeddingBackward}, deterministic); ids have no gradient, so backward returns null and
 * it must be a model's first module.
 *
 * <p>The weight decays (as nanoGPT, which decays every 2-D weight) and starts normal with std {@code initStd}.
 *
 * <pre>{@code
 * Module wte = new Embedding(50257, 768, 0.02);   // input I32 [T], output [T, 768]
 * }</pre>
 */
public final class Embedding implements Module {
    private final int vocab;
    private final int dim;
    private final double initStd;
    private int tokens;
    private ParamRef w;
    private ActivationRef ySlot;
    private Backend be;
    private Tensor weight;   // [V, D]
    private Tensor dWeight;  // [V, D]
    private Tensor y;        // [maxRows, T, D]
    private Tensor ids;      // [rows, T] INT32, last input, not owned

    /** A table of {@code vocab} vectors of size {@code dim}, initialised normal with std {@code initStd}. */
    public Embedding(int vocab, int dim, double initStd) {
        if (vocab <= 0 || dim <= 0) {
            throw new UserInputException("Embedding sizes must be positive, got vocab=" + vocab + " dim=" + dim);
        }
        this.vocab = vocab;
        this.dim = dim;
        this.initStd = initStd;
    }

    @Override
    public int[] declare(Declare d, int[] in) {
        if (in.length != 1) {
            throw new UserInputException(d.name() + ": Embedding takes token ids [T] per sample, got "
                    + Shapes.show(in));
        }
        tokens = in[0];
        w = d.param("weight", true, vocab, dim);
        ySlot = d.saved("y", DType.FLOAT32, tokens, dim);
        return new int[] {tokens, dim};
    }

    @Override
    public void initialize(Init init) { init.normal(w, initStd); }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        weight = b.value(w);
        dWeight = b.gradient(w);
        y = b.tensor(ySlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        if (x.dtype() != DType.INT32) {
            throw new UserInputException("Embedding input must be INT32 token ids [rows, " + tokens + "], got "
                    + x.dtype() + " " + java.util.Arrays.toString(x.shape()));
        }
        ids = x;
        int rows = x.dim(0);
        Tensor yb = y.rows(0, rows);
        be.embeddingForward(weight, x.reshape(rows * tokens), yb.reshape(rows * tokens, dim));
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        if (ctx.needInputGradient()) {
            throw new IllegalStateException("Embedding has no input gradient (its input is token ids): it must come "
                    + "first in a model, where no input gradient is asked for");
        }
        int n = dy.dim(0) * tokens;
        be.embeddingBackward(ids.reshape(n), dy.reshape(n, dim), dWeight);
        return null;
    }

    @Override
    public String describe() { return "Embedding(" + vocab + ", " + dim + ")"; }
}
