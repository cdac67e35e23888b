package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Fully connected layer over the last dimension, {@code y = x W^T + b} with {@code W [out, in]} and {@code b [out]}
 * (PyTorch's layout and names: {@code weight}, {@code bias}); inputs {@code [rows, ..., in]} are treated as matrices
 * {@code [rows * ..., in]}, so the same layer serves an MLP and a transformer's projections.
 *
 * <p>Backward accumulates {@code dW += dy^T x} and {@code db += column sums of dy}, and computes {@code dx = dy W} only
 * when the input gradient is asked for (never for a model's first layer).
 */
public final class Linear implements Module {
    private final int out;
    private final boolean withBias;
    private final Init.Weights weightInit;
    private int in;
    private ParamRef w;
    private ParamRef b;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private ActivationRef x16Slot;   // the input rounded to bf16, where GEMMs round to bf16 (else absent)
    private ActivationRef dy16Slot;  // dy rounded to bf16, read by both backward GEMMs
    private Backend be;
    private Tensor weight;   // [out, in]
    private Tensor bias;     // [out]
    private GradientSink dWeight;  // [out, in]: overwritten by the step's first backward
    private GradientSink dBias;    // [out]
    private Tensor y;        // [maxRows, ..., out]
    private Tensor dx;       // [maxRows, ..., in]
    private Tensor dy16;     // [maxRows, ..., out] BF16 or null
    private GemmInput in16;   // the input as the GEMMs read it (rounded to bf16 where they round)

    /** A layer with a bias, weights from the model's {@code --init} initializer. */
    public Linear(int out) {
        this(out, true, Init.Weights.DEFAULT);
    }

    /** {@code withBias}: whether there is a bias; {@code weightInit}: how the weight starts. */
    public Linear(int out, boolean withBias, Init.Weights weightInit) {
        if (out <= 0) {
            throw new IllegalArgumentException("Linear output size must be > 0, got " + out);
        }
        this.out = out;
        this.withBias = withBias;
        this.weightInit = weightInit;
    }

    @Override
    public int[] declare(Declare d, int[] inShape) {
        if (inShape.length == 0) {
            throw new dev.quadrant.device.UserInputException(d.name() + ": Linear needs an input with features, got a "
                    + "scalar per sample");
        }
        in = inShape[inShape.length - 1];
        w = d.param("weight", true, out, in);
        b = withBias ? d.param("bias", false, out) : null;
        int[] outShape = Shapes.withLast(inShape, out);
        ySlot = d.saved("y", DType.FLOAT32, outShape);
        dxSlot = d.gradient("dx", DType.FLOAT32, inShape);
        x16Slot = d.bf16Operand("x16", ActivationPlan.Kind.SAVED, inShape);
        dy16Slot = d.bf16Operand("dy16", ActivationPlan.Kind.SCRATCH, outShape);
        return outShape;
    }

    @Override
    public void initialize(Init init) {
        init.weight(w, weightInit);
        // bias stays zero
    }

    @Override
    public void bind(Bind bind) {
        be = bind.backend();
        weight = bind.gemmValue(w);   // the bf16 copy where GEMMs round to bf16
        dWeight = bind.overwritableGradient(w);
        if (b != null) {
            bias = bind.value(b);
            dBias = bind.overwritableGradient(b);
        }
        y = bind.tensor(ySlot);
        dx = bind.tensor(dxSlot);
        in16 = new GemmInput(bind.tensor(x16Slot));
        dy16 = bind.tensor(dy16Slot);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        Tensor yb = y.rows(0, input.dim(0));
        Tensor ym = Shapes.asMatrix(yb);
        be.gemm(false, true, 1f, in16.operand(be, input), weight, 0f, ym);
        if (bias != null) {
            be.addBias(ym, bias);
        }
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        Tensor dym = Shapes.asMatrix(dy);
        Tensor dyOp = GemmInput.rounded(be, dym, dy16);   // cast once (where GEMMs round) for both GEMMs
        be.gemm(true, false, 1f, dyOp, in16.last(), dWeight.beta(), dWeight.tensor());
        if (dBias != null) {
            be.columnSums(dym, dBias.beta(), dBias.tensor());
        }
        if (!ctx.needInputGradient()) {
            return null;
        }
        Tensor dxb = dx.rows(0, dy.dim(0));
        be.gemm(false, false, 1f, dyOp, weight, 0f, Shapes.asMatrix(dxb));
        return dxb;
    }

    @Override
    public String describe() { return "Linear(" + in + " -> " + out + (withBias ? "" : ", no bias") + ")"; }
}
