package dev.quadrant.trainer.nn;

import java.util.Arrays;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * A language model's output layer, {@code logits [rows, T, V] = x W^T} for {@code x [rows, T, D]} and
 * {@code W [V, D]}, no bias. Either {@link #tied} to the token embedding (GPT-2: {@code W} is
 * {@code transformer.wte.weight}, declared earlier, whose gradient then sums both uses by accumulation) or with a
 * weight of its own, {@code weight [V, D]} (decays, starts normal with std 0.02).
 *
 * <pre>{@code
 * Module head = LmHead.tied("transformer.wte.weight", 50257);   // [T, 768] -> [T, 50257]
 * Module own = LmHead.untied(50257);                            // declares lm_head.weight under its scope
 * }</pre>
 */
public final class LmHead implements Module {
    private final int vocab;
    private final String tiedTo;   // null: own weight
    private int dim;
    private ParamRef w;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private ActivationRef x16Slot;   // the input rounded to bf16, where GEMMs round to bf16 (else absent)
    private ActivationRef dy16Slot;  // dy rounded to bf16, read by both backward GEMMs
    private Backend be;
    private Tensor weight;    // [V, D]
    private GradientSink dWeight;   // [V, D]: overwritten by the step's first write unless tied to an accumulator
    private Tensor y;         // [maxRows, T, V]
    private Tensor dx;        // [maxRows, T, D]
    private Tensor dy16;      // [maxRows, T, V] BF16 or null
    private GemmInput in16;   // the input as the GEMMs read it (rounded to bf16 where they round)

    private LmHead(int vocab, String tiedTo) {
        if (vocab <= 0) {
            throw new UserInputException("LM head vocabulary must be positive, got vocab=" + vocab);
        }
        this.vocab = vocab;
        this.tiedTo = tiedTo;
    }

    /** A head that uses the earlier parameter {@code fullName} {@code [vocab, D]} as its weight. */
    public static LmHead tied(String fullName, int vocab) { return new LmHead(vocab, fullName); }

    /** A head with its own {@code weight [vocab, D]}. */
    public static LmHead untied(int vocab) { return new LmHead(vocab, null); }

    @Override
    public int[] declare(Declare d, int[] in) {
        if (in.length == 0) {
            throw new UserInputException(d.name() + ": LM head needs an input with features, got a scalar per sample");
        }
        dim = in[in.length - 1];
        if (tiedTo != null) {
            w = d.existing(tiedTo);
            int[] s = d.shape(w);
            if (!Arrays.equals(s, new int[] {vocab, dim})) {
                throw new UserInputException(d.name() + ": tied weight " + tiedTo + " is " + Shapes.show(s)
                        + ", the head needs [vocab=" + vocab + ", D=" + dim + "]");
            }
        } else {
            w = d.param("weight", true, vocab, dim);
        }
        int[] out = Shapes.withLast(in, vocab);
        ySlot = d.saved("y", DType.FLOAT32, out);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        x16Slot = d.bf16Operand("x16", ActivationPlan.Kind.SAVED, in);
        dy16Slot = d.bf16Operand("dy16", ActivationPlan.Kind.SCRATCH, out);
        return out;
    }

    @Override
    public void initialize(Init init) {
        if (tiedTo == null) {
            init.normal(w, 0.02);
        }
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        weight = b.gemmValue(w);   // the bf16 copy where GEMMs round to bf16
        dWeight = b.overwritableGradient(w);
        y = b.tensor(ySlot);
        dx = b.tensor(dxSlot);
        in16 = new GemmInput(b.tensor(x16Slot));
        dy16 = b.tensor(dy16Slot);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        Tensor yb = y.rows(0, input.dim(0));
        be.gemm(false, true, 1f, in16.operand(be, input), weight, 0f, Shapes.asMatrix(yb));
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        Tensor dym = Shapes.asMatrix(dy);
        Tensor dyOp = GemmInput.rounded(be, dym, dy16);   // cast once (where GEMMs round) for both GEMMs
        be.gemm(true, false, 1f, dyOp, in16.last(), dWeight.beta(), dWeight.tensor());
        if (!ctx.needInputGradient()) {
            return null;
        }
        Tensor dxb = dx.rows(0, dy.dim(0));
        be.gemm(false, false, 1f, dyOp, weight, 0f, Shapes.asMatrix(dxb));
        return dxb;
    }

    @Override
    public String describe() {
        return "LmHead(" + dim + " -> " + vocab + (tiedTo != null ? ", tied to " + tiedTo : "") + ")";
    }
}
