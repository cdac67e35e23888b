package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * {@code y = x + branch(x)}, the branch keeping the shape. Backward: {@code dx = dy + branch'(dy)}; the two
 * gradients fan in by accumulation, as every gradient does.
 */
public final class Residual implements Module {
    private final String branchName;
    private final Module branch;
    private long firstOffset;
    private boolean hasParams;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private Backend be;
    private Tensor y;
    private Tensor dx;

    /** A residual around {@code branch}, whose parameters are named under {@code branchName}. */
    public Residual(String branchName, Module branch) {
        this.branchName = branchName;
        this.branch = branch;
    }

    @Override
    public int[] declare(Declare d, int[] in) {
        firstOffset = d.nextParameterOffset();
        int[] out = branch.declare(branchName.isEmpty() ? d : d.child(branchName), in);
        hasParams = d.nextParameterOffset() > firstOffset;
        if (!java.util.Arrays.equals(out, in)) {
            throw new dev.quadrant.device.UserInputException(d.name() + ": a residual branch must keep the shape "
                    + Shapes.show(in) + ", it gives " + Shapes.show(out));
        }
        ySlot = d.saved("y", DType.FLOAT32, in);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        return in;
    }

    @Override
    public void initialize(Init init) { branch.initialize(init.child()); }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        y = b.tensor(ySlot);
        dx = b.tensor(dxSlot);
        branch.bind(b);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        Tensor h = branch.forward(x, ctx);
        Tensor yb = y.rows(0, x.dim(0));
        be.copy(x, yb);
        be.axpy(1f, h, yb);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        Tensor dxb = dx.rows(0, dy.dim(0));
        be.copy(dy, dxb);                       // the skip path (the branch may overwrite dy)
        Tensor db = branch.backward(dy, ctx.needing(true));
        if (hasParams) {
            ctx.ready().accept(firstOffset);
        }
        be.axpy(1f, db, dxb);
        return ctx.needInputGradient() ? dxb : null;
    }

    @Override
    public String describe() { return "Residual(\n  " + branch.describe().replace("\n", "\n  ") + "\n)"; }
}
