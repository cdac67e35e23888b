package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Inverted dropout: in training, each element is zeroed with probability {@code p} and the rest scaled by
 * {@code 1/(1-p)}; in evaluation it is the identity. The mask comes from {@link Backend#dropoutMask} with the
 * step's seed, so it is reproducible and the same on every backend.
 */
public final class Dropout implements Layer {
    private final float p;
    private Backend be;
    private Tensor mask;  // [maxRows, features]
    private Tensor y;     // [maxRows, features]
    private boolean applied;

    public Dropout(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
    }

    @Override
    public int outFeatures(int inFeatures) { return inFeatures; }

    @Override
    public void bind(Backend backend, Parameters params, String prefix, int maxRows, int in) {
        this.be = backend;
        this.mask = backend.allocate(DType.FLOAT32, maxRows, in);
        this.y = backend.allocate(DType.FLOAT32, maxRows, in);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        applied = ctx.training() && p > 0;
        if (!applied) {
            return x;
        }
        Tensor m = mask.rows(0, x.dim(0));
        Tensor yb = y.rows(0, x.dim(0));
        be.dropoutMask(m, p, ctx.seed(), 0L);
        be.mul(x, m, yb);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGradient) {
        if (!needInputGradient) {
            return null;
        }
        if (applied) {
            be.mul(dy, mask.rows(0, dy.dim(0)), dy);
        }
        return dy;
    }

    @Override
    public String describe(int in) { return "Dropout(" + p + ")"; }

    @Override
    public void close() {
        if (mask != null) {
            mask.close();
            y.close();
            mask = null;
        }
    }
}
