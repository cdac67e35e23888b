package dev.quadrant.trainer.nn;

import java.util.List;

import dev.quadrant.device.UserInputException;

/**
 * One pre-LN GPT-2 transformer block on {@code [rows, T, D]}: {@code x = x + attn(ln_1(x))}, then
 * {@code x = x + mlp(ln_2(x))}. Two {@link Residual}s, each around a {@link Sequential}, with the children under
 * nanoGPT's names {@code ln_1}, {@code attn}, {@code ln_2}, {@code mlp} directly in the block's scope.
 *
 * <pre>{@code
 * Module h0 = new Block(768, 12, 0.1f, 0.02 / Math.sqrt(2 * 12));   // [T, 768] -> [T, 768]
 * }</pre>
 */
public final class Block extends Composite {
    private final int dim;
    private final int heads;

    /** {@code projStd}: the std of both residual projections' initial weights ({@code 0.02 / sqrt(2 * layers)}). */
    public Block(int dim, int heads, float dropout, double projStd) {
        super(body(dim, heads, dropout, projStd));
        this.dim = dim;
        this.heads = heads;
    }

    private static Module body(int dim, int heads, float dropout, double projStd) {
        Module attn = new Sequential(List.of("ln_1", "attn"),
                List.of(new LayerNorm(), new CausalSelfAttention(dim, heads, dropout, projStd)));
        Module mlp = new Sequential(List.of("ln_2", "mlp"), List.of(new LayerNorm(), new Mlp(dim, dropout, projStd)));
        return new Sequential(List.of("", ""), List.of(new Residual("", attn), new Residual("", mlp)));
    }

    @Override
    protected void checkInput(Declare d, int[] in) {
        if (in.length != 2 || in[1] != dim) {
            throw new UserInputException(d.name() + ": a transformer block takes [T, D=" + dim + "] per sample, got "
                    + Shapes.show(in));
        }
    }

    @Override
    public String describe() {
        return "Block(dim " + dim + ", " + heads + " heads,\n  " + body.describe().replace("\n", "\n  ") + "\n)";
    }
}
