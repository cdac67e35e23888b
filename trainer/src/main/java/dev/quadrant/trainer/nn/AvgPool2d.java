package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * Average pooling over channels-last images, per sample {@code [H, W, C] -> [Ho, Wo, C]}, padding counted as zeros
 * (PyTorch's {@code AvgPool2d} with {@code count_include_pad=True}).
 *
 * <pre>{@code
 * Module pool = new AvgPool2d(2, 2, 0);   // [28, 28, 6] -> [14, 14, 6]
 * }</pre>
 */
public final class AvgPool2d implements Module {
    private final Window2d window;
    private int[] in;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private Backend be;
    private Tensor y;    // [maxRows, Ho, Wo, C]
    private Tensor dx;   // [maxRows, H, W, C]

    /** A square window {@code k}, stride and padding on both axes. */
    public AvgPool2d(int k, int stride, int padding) {
        this(Images.window("AvgPool2d", k, stride, padding));
    }

    public AvgPool2d(Window2d window) {
        this.window = window;
    }

    @Override
    public int[] declare(Declare d, int[] inShape) {
        int[] outShape = Images.outImage(d, "AvgPool2d", inShape, window, inShape.length == 3 ? inShape[2] : 0);
        in = inShape.clone();
        ySlot = d.saved("y", DType.FLOAT32, outShape);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        return outShape;
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        y = b.tensor(ySlot);
        dx = b.tensor(dxSlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        Tensor yb = y.rows(0, x.dim(0));
        be.avgPool2dForward(x, window, yb);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        if (!ctx.needInputGradient()) {
            return null;
        }
        Tensor dxb = dx.rows(0, dy.dim(0));
        be.avgPool2dBackward(dy, window, dxb);
        return dxb;
    }

    @Override
    public String describe() { return "AvgPool2d(" + Images.describe(window) + ")"; }
}
