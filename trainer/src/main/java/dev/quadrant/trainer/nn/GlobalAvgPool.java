package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * Global average pooling, per sample {@code [H, W, C] -> [C]}: average pooling with the whole image as its window
 * ({@code [1, 1, C]}), seen as {@code [C]} (a view).
 */
public final class GlobalAvgPool implements Module {
    private Window2d window;
    private int[] in;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private Backend be;
    private Tensor y;    // [maxRows, 1, 1, C]
    private Tensor dx;   // [maxRows, H, W, C]

    @Override
    public int[] declare(Declare d, int[] inShape) {
        Images.requireImage(d, "GlobalAvgPool", inShape);
        window = new Window2d(inShape[0], inShape[1], 1, 1, 0, 0);
        in = inShape.clone();
        ySlot = d.saved("y", DType.FLOAT32, 1, 1, in[2]);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        return new int[] {in[2]};
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        y = b.tensor(ySlot);
        dx = b.tensor(dxSlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        int rows = x.dim(0);
        Tensor yb = y.rows(0, rows);
        be.avgPool2dForward(x, window, yb);
        return yb.reshape(rows, in[2]);
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        if (!ctx.needInputGradient()) {
            return null;
        }
        int rows = dy.dim(0);
        Tensor dxb = dx.rows(0, rows);
        be.avgPool2dBackward(dy.reshape(rows, 1, 1, in[2]), window, dxb);
        return dxb;
    }

    @Override
    public String describe() { return "GlobalAvgPool(" + Shapes.show(in) + ")"; }
}
