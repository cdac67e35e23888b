package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;

/**
 * 2-D convolution over channels-last images: per sample {@code [H, W, C] -> [Ho, Wo, out]}, weight
 * {@code [out, C, kh, kw]} and bias {@code [out]} (PyTorch's layout and names: {@code weight}, {@code bias}), stride
 * and zero padding as a {@link Window2d} (dilation 1, no groups).
 *
 * <p>Forward: {@link Backend#conv2dForward}, {@code y = im2col(x) W^T (+ b)} with the weight seen as
 * {@code [out, C * kh * kw]} and a SAVED buffer {@code col [rows * Ho * Wo, C * kh * kw]} the backend may keep the
 * columns in (column order {@code (c, ky, kx)}, that of the weight flattened). Backward:
 * {@link Backend#conv2dBackward} accumulates {@code dW += dy^T im2col(x)} and {@code db += column sums of dy}; when
 * the input gradient is asked for, it writes {@code dx = col2im(dy W)} with {@code dcol} as SCRATCH. Both column
 * buffers are placed only where the backend's convolution uses them ({@link Backend#convolutionUsesColumns}; not on
 * the CPU, which unfolds a few images at a time into tiles of its own), else null is passed. The forward's
 * input {@code x} is read again in the backward (every module's output is a saved buffer, kept until then). Initial
 * weights: the model's {@code --init} by fan-in {@code C * kh * kw} ({@link Init#weight(ParamRef)}), bias zero.
 *
 * <pre>{@code
 * Module conv = new Conv2d(6, Window2d.square(5, 1, 2), true);   // [28, 28, 1] -> [28, 28, 6]
 * }</pre>
 */
public final class Conv2d implements Module {
    private final int out;
    private final Window2d window;
    private final boolean withBias;
    private int[] in;          // [H, W, C]
    private int[] outShape;    // [Ho, Wo, out]
    private int taps;          // C * kh * kw
    private ParamRef w;
    private ParamRef b;
    private ActivationRef colSlot;
    private ActivationRef dcolSlot;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private Backend be;
    private Tensor weight;     // [out, C * kh * kw] (a view of [out, C, kh, kw])
    private Tensor dWeight;    // [out, C * kh * kw]
    private Tensor bias;       // [out]
    private Tensor dBias;      // [out]
    private Tensor col;        // [maxRows, Ho * Wo, C * kh * kw]
    private Tensor dcol;       // [maxRows, Ho * Wo, C * kh * kw]
    private Tensor y;          // [maxRows, Ho, Wo, out]
    private Tensor dx;         // [maxRows, H, W, C]
    private int lastRows;
    private Tensor lastX;      // the forward's input, kept by its producer until the backward (a saved output)

    /** {@code out} filters over {@code window}, with a bias when {@code withBias}. */
    public Conv2d(int out, Window2d window, boolean withBias) {
        if (out <= 0) {
            throw new UserInputException("Conv2d: the number of output channels must be > 0, got " + out);
        }
        this.out = out;
        this.window = window;
        this.withBias = withBias;
    }

    /** A square kernel {@code k}, stride and padding on both axes, with a bias. */
    public Conv2d(int out, int k, int stride, int padding) {
        this(out, Images.window("Conv2d", k, stride, padding), true);
    }

    @Override
    public int[] declare(Declare d, int[] inShape) {
        outShape = Images.outImage(d, "Conv2d", inShape, window, out);
        in = inShape.clone();
        taps = Math.multiplyExact(in[2], window.kh() * window.kw());
        w = d.param("weight", true, out, in[2], window.kh(), window.kw());
        b = withBias ? d.param("bias", false, out) : null;
        int positions = outShape[0] * outShape[1];
        colSlot = d.columns("col", ActivationPlan.Kind.SAVED, positions, taps);
        ySlot = d.saved("y", DType.FLOAT32, outShape);
        dcolSlot = d.columns("dcol", ActivationPlan.Kind.SCRATCH, positions, taps);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        return outShape.clone();
    }

    @Override
    public void initialize(Init init) {
        init.weight(w);
        // bias stays zero
    }

    @Override
    public void bind(Bind bind) {
        be = bind.backend();
        weight = bind.value(w).reshape(out, taps);
        dWeight = bind.gradient(w).reshape(out, taps);
        if (b != null) {
            bias = bind.value(b);
            dBias = bind.gradient(b);
        }
        col = bind.tensor(colSlot);     // null on a backend whose convolution needs no columns (the CPU's)
        dcol = bind.tensor(dcolSlot);
        y = bind.tensor(ySlot);
        dx = bind.tensor(dxSlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        lastRows = x.dim(0);
        lastX = x;
        Tensor yb = y.rows(0, lastRows);
        be.conv2dForward(x, window, weight, bias, columns(col), Shapes.asMatrix(yb));
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        boolean input = ctx.needInputGradient();
        Tensor dxb = input ? dx.rows(0, lastRows) : null;
        be.conv2dBackward(lastX, Shapes.asMatrix(dy), window, weight, columns(col), columns(dcol), dWeight, dBias,
                dxb);
        return dxb;
    }

    /** The first {@code lastRows} images' column matrix, or null where the backend placed none. */
    private Tensor columns(Tensor c) {
        return c == null ? null : Shapes.asMatrix(c.rows(0, lastRows));
    }

    @Override
    public String describe() {
        return "Conv2d(" + (in == null ? "?" : in[2]) + " -> " + out + ", " + Images.describe(window)
                + (withBias ? "" : ", no bias") + ")";
    }
}
