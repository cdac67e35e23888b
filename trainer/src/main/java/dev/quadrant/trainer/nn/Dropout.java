package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Inverted dropout: in training, each element is zeroed with probability {@code p} and the rest scaled by
 * {@code 1/(1-p)}; in evaluation it is the identity. The mask of element {@code j} of global batch row {@code r} comes
 * from {@link Backend#dropoutMask} keyed by (step seed, this module, {@code r * size + j}), so it is reproducible, the
 * same on every backend, and the same whether one replica computes the whole batch or N replicas a shard each.
 */
public final class Dropout implements Module {
    private final float p;
    private int id;
    private long perSample;
    private ActivationRef maskSlot;
    private ActivationRef ySlot;
    private Backend be;
    private Tensor mask;
    private Tensor y;
    private boolean applied;
    private int rows;

    public Dropout(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new dev.quadrant.device.UserInputException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
    }

    @Override
    public int[] declare(Declare d, int[] in) {
        id = d.uniqueId();
        perSample = Shapes.size(in);
        maskSlot = d.saved("mask", DType.FLOAT32, in);
        ySlot = d.saved("y", DType.FLOAT32, in);
        return in;
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        mask = b.tensor(maskSlot);
        y = b.tensor(ySlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        applied = ctx.training() && p > 0;
        if (!applied) {
            return x;
        }
        rows = x.dim(0);
        Tensor m = mask.rows(0, rows);
        Tensor yb = y.rows(0, rows);
        be.dropoutMask(m, p, ctx.seed() * 31 + id, ctx.firstRow() * perSample);
        be.mul(x, m, yb);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        if (!ctx.needInputGradient()) {
            return null;
        }
        if (applied) {
            be.mul(dy, mask.rows(0, dy.dim(0)), dy);
        }
        return dy;
    }

    @Override
    public String describe() { return "Dropout(" + p + ")"; }
}
