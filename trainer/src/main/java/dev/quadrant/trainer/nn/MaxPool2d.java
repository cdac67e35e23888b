package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;

/**
 * Max pooling over channels-last images, per sample {@code [H, W, C] -> [Ho, Wo, C]} (PyTorch's {@code MaxPool2d}:
 * padding never wins, at most half the kernel). Forward keeps the INT32 argmax of each window (SAVED); backward adds
 * {@code dy} at it.
 *
 * <pre>{@code
 * Module pool = new MaxPool2d(2, 2, 0);   // [28, 28, 6] -> [14, 14, 6]
 * }</pre>
 */
public final class MaxPool2d implements Module {
    private final Window2d window;
    private int[] in;
    private ActivationRef ySlot;
    private ActivationRef argSlot;
    private ActivationRef dxSlot;
    private Backend be;
    private Tensor y;        // [maxRows, Ho, Wo, C]
    private Tensor argmax;   // [maxRows, Ho, Wo, C] INT32
    private Tensor dx;       // [maxRows, H, W, C]
    private int lastRows;

    /** A square window {@code k}, stride and padding on both axes. */
    public MaxPool2d(int k, int stride, int padding) {
        this(Images.window("MaxPool2d", k, stride, padding));
    }

    public MaxPool2d(Window2d window) {
        if (2 * window.ph() > window.kh() || 2 * window.pw() > window.kw()) {
            throw new UserInputException("MaxPool2d " + Images.describe(window)
                    + ": padding must be at most half the kernel");
        }
        this.window = window;
    }

    @Override
    public int[] declare(Declare d, int[] inShape) {
        int[] outShape = Images.outImage(d, "MaxPool2d", inShape, window, inShape.length == 3 ? inShape[2] : 0);
        in = inShape.clone();
        ySlot = d.saved("y", DType.FLOAT32, outShape);
        argSlot = d.saved("argmax", DType.INT32, outShape);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        return outShape;
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        y = b.tensor(ySlot);
        argmax = b.tensor(argSlot);
        dx = b.tensor(dxSlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        lastRows = x.dim(0);
        Tensor yb = y.rows(0, lastRows);
        be.maxPool2dForward(x, window, yb, argmax.rows(0, lastRows));
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        if (!ctx.needInputGradient()) {
            return null;
        }
        Tensor dxb = dx.rows(0, lastRows);
        be.maxPool2dBackward(dy, argmax.rows(0, lastRows), window, dxb);
        return dxb;
    }

    @Override
    public String describe() { return "MaxPool2d(" + Images.describe(window) + ")"; }
}
