package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.Activation;
import dev.quadrant.device.UserInputException;

/**
 * GPT-2's feed-forward block on {@code [rows, T, D]}: {@code c_fc}, a {@link Linear}{@code (D, 4D)}, GELU (the tanh
 * approximation), {@code c_proj}, a {@link Linear}{@code (4D, D)}, then {@code dropout} when its probability is
 * positive. A {@link Sequential} of those children under nanoGPT's names.
 *
 * <pre>{@code
 * Module mlp = new Mlp(768, 0.1f, 0.02 / Math.sqrt(2 * 12));   // [T, 768] -> [T, 768]
 * }</pre>
 */
public final class Mlp extends Composite {
    private final int dim;

    /** {@code projStd}: the std of {@code c_proj}'s initial weight (GPT-2: {@code 0.02 / sqrt(2 * layers)}). */
    public Mlp(int dim, float dropout, double projStd) {
        super(body(dim, dropout, projStd));
        this.dim = dim;
    }

    private static Module body(int dim, float dropout, double projStd) {
        if (dim <= 0) {
            throw new UserInputException("MLP dim must be positive, got dim=" + dim);
        }
        List<String> names = new ArrayList<>(List.of("c_fc", "gelu", "c_proj"));
        List<Module> layers = new ArrayList<>(List.of(
                new Linear(4 * dim, true, new Init.Weights.Normal(0.02)),
                new Act(Activation.GELU),
                new Linear(dim, true, new Init.Weights.Normal(projStd))));
        if (dropout > 0) {
            names.add("dropout");
            layers.add(new Dropout(dropout));
        }
        return new Sequential(names, layers);
    }

    @Override
    protected void checkInput(Declare d, int[] in) {
        if (in.length == 0 || in[in.length - 1] != dim) {
            throw new UserInputException(d.name() + ": MLP takes [..., D=" + dim + "] per sample, got "
                    + Shapes.show(in));
        }
    }

    @Override
    public String describe() { return "MLP(\n  " + body.describe().replace("\n", "\n  ") + "\n)"; }
}
