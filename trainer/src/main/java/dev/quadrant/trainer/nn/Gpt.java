package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * A GPT-2 language model (nanoGPT's {@code GPT}) with the parameter names of nanoGPT and Hugging Face:
 * {@code transformer.wte.weight [V, D]}, {@code transformer.wpe.weight [T, D]}, per block {@code i}
 * {@code transformer.h.i.ln_1.*}, {@code .attn.c_attn.*}, {@code .attn.c_proj.*}, {@code .ln_2.*},
 * {@code .mlp.c_fc.*}, {@code .mlp.c_proj.*}, then {@code transformer.ln_f.*} and, only when the head is not tied to
 * the token embedding, {@code lm_head.weight [V, D]}.
 *
 * <p>Input: INT32 token ids {@code [rows, T]} with {@code T == ctx} exactly; output: logits {@code [rows, T, V]}.
 * Initialisation as GPT-2: every Linear and embedding weight normal(0, 0.02), the two residual projections per block
 * ({@code attn.c_proj.weight}, {@code mlp.c_proj.weight}) normal(0, 0.02 / sqrt(2 * layers)), biases 0, LayerNorm
 * gains 1. Weight decay applies to the 2-D weights only.
 *
 * <pre>{@code
 * Module gpt = Gpt.build(12, 12, 768, 1024, 50257, 0.1f, true);
 * Model m = new Model(gpt, new int[] {1024}, DType.INT32);
 * }</pre>
 */
public final class Gpt implements Module {
    /** The std of GPT-2's initial weights. */
    public static final double INIT_STD = 0.02;

    private final int layers;
    private final int heads;
    private final int dim;
    private final int ctx;
    private final int vocab;
    private final float dropout;
    private final boolean tie;
    private final Sequential body;

    private Gpt(int layers, int heads, int dim, int ctx, int vocab, float dropout, boolean tie) {
        this.layers = layers;
        this.heads = heads;
        this.dim = dim;
        this.ctx = ctx;
        this.vocab = vocab;
        this.dropout = dropout;
        this.tie = tie;
        double projStd = INIT_STD / Math.sqrt(2.0 * layers);
        List<String> names = new ArrayList<>(List.of("transformer.wte", "transformer.wpe"));
        List<Module> children = new ArrayList<>(List.of(new Embedding(vocab, dim, INIT_STD),
                new PositionEmbedding(ctx, dim, INIT_STD)));
        if (dropout > 0) {
            names.add("transformer.drop");
            children.add(new Dropout(dropout));
        }
        for (int i = 0; i < layers; i++) {
            names.add("transformer.h." + i);
            children.add(new Block(dim, heads, dropout, projStd));
        }
        names.add("transformer.ln_f");
        children.add(new LayerNorm());
        names.add("lm_head");
        children.add(tie ? LmHead.tied("transformer.wte.weight", vocab) : LmHead.untied(vocab));
        this.body = new Sequential(names, children);
    }

    /**
     * A GPT of {@code layers} blocks with {@code heads} heads over {@code dim} features, for sequences of exactly
     * {@code ctx} tokens from a vocabulary of {@code vocab}; {@code dropout} for every dropout (0: none);
     * {@code tie}: whether the head uses the token embedding's weight.
     */
    public static Gpt build(int layers, int heads, int dim, int ctx, int vocab, float dropout, boolean tie) {
        positive("layers", layers);
        positive("heads", heads);
        positive("dim", dim);
        positive("ctx", ctx);
        positive("vocab", vocab);
        if (dim % heads != 0) {
            throw new UserInputException("heads=" + heads + " does not divide dim=" + dim);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new UserInputException("dropout must be in [0, 1), got dropout=" + dropout);
        }
        return new Gpt(layers, heads, dim, ctx, vocab, dropout, tie);
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new UserInputException("GPT " + key + " must be positive, got " + key + "=" + value);
        }
    }

    @Override
    public int[] declare(Declare d, int[] in) {
        if (in.length != 1 || in[0] != ctx) {
            throw new UserInputException("GPT input must be INT32 token ids [T] per sample with T == ctx=" + ctx
                    + ", got " + Shapes.show(in) + (in.length == 1 ? " (T=" + in[0] + ")" : ""));
        }
        return body.declare(d, in);
    }

    @Override
    public void initialize(Init init) { body.initialize(init); }

    @Override
    public void bind(Bind b) { body.bind(b); }

    @Override
    public Tensor forward(Tensor x, ForwardContext fc) {
        if (x.dtype() != DType.INT32) {
            throw new UserInputException("GPT input must be INT32 token ids [rows, T=" + ctx + "], got " + x.dtype()
                    + " " + java.util.Arrays.toString(x.shape()));
        }
        return body.forward(x, fc);
    }

    @Override
    public Tensor backward(Tensor dy, Backward bc) { return body.backward(dy, bc); }

    @Override
    public String describe() {
        return "GPT(layers " + layers + ", heads " + heads + ", dim " + dim + ", ctx " + ctx + ", vocab " + vocab
                + (dropout > 0 ? ", dropout " + dropout : "") + (tie ? ", tied head" : "") + ",\n  "
                + body.describe().replace("\n", "\n  ") + "\n)";
    }
}
