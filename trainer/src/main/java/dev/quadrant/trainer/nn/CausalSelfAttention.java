package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * Multi-head causal self-attention as GPT-2 (nanoGPT's {@code CausalSelfAttention}), on {@code x [rows, T, D]} with
 * {@code H} heads of size {@code hd = D / H}:
 * <ol>
 *   <li>{@code qkv = c_attn(x)}, one {@link Linear}{@code (D, 3D)}, seen as {@code [rows, T, 3, H, hd]} and split into
 *       {@code q, k, v [rows * H, T, hd]} by one permute to {@code [3, rows, H, T, hd]};</li>
 *   <li>{@code probs = causalSoftmax(q k^T / sqrt(hd))} {@code [rows * H, T, T]}, then attention dropout;</li>
 *   <li>{@code y = probs v}, heads merged back to {@code [rows, T, D]} by a permute, then {@code c_proj}, a
 *       {@link Linear}{@code (D, D)}, and residual dropout.</li>
 * </ol>
 * Both dropouts are {@link Dropout} modules ({@code attn_dropout}, {@code resid_dropout}), present only when the
 * probability is positive, so their masks are keyed by global batch row like every other dropout.
 *
 * <p>Backward: {@code dv = probs^T dy}, {@code dprobs = dy v^T}, the causal softmax backward, {@code dq = dS k / sqrt(hd)},
 * {@code dk = dS^T q / sqrt(hd)}, the inverse permute into {@code [rows, T, 3D]} and {@code c_attn}'s backward.
 *
 * <p>Buffers: the split {@code q, k, v}, the probabilities and the merged heads are saved for backward; the head
 * outputs (forward) and the head-space gradients (backward) are scratch, which every module's scratch shares. They
 * are live only between calls of the children, except across {@code attn_dropout}'s backward, a {@link Dropout},
 * which has no scratch; {@code c_attn}'s {@code dy} lives across its backward, so it is a gradient buffer.
 *
 * <pre>{@code
 * Module attn = new CausalSelfAttention(768, 12, 0.1f, 0.02 / Math.sqrt(2 * 12));   // [T, 768] -> [T, 768]
 * }</pre>
 */
public final class CausalSelfAttention implements Module {
    private static final int[] SPLIT = {2, 0, 3, 1, 4};     // [B, T, 3, H, hd] -> [3, B, H, T, hd]
    private static final int[] UNSPLIT = {1, 3, 0, 2, 4};   // its inverse
    private static final int[] MERGE = {0, 2, 1, 3};        // [B, H, T, hd] <-> [B, T, H, hd], its own inverse

    private final int dim;
    private final int heads;
    private final int headDim;
    private final float scale;
    private final float dropout;
    private final Linear cAttn;
    private final Linear cProj;
    private final Dropout attnDropout;    // null when the probability is 0
    private final Dropout residDropout;   // null when the probability is 0
    private int tokens;
    private long cAttnOffset;
    private long cProjOffset;
    private ActivationRef qkvSlot;
    private ActivationRef probsSlot;
    private ActivationRef yHeadsSlot;
    private ActivationRef yMergedSlot;
    private ActivationRef dyHeadsSlot;
    private ActivationRef dProbsSlot;
    private ActivationRef dQkvHeadsSlot;
    private ActivationRef dQkvSlot;
    private Backend be;
    private Tensor qkvHeads;   // [maxRows, 3, H, T, hd], used as [3, rows, H, T, hd] (saved)
    private Tensor probs;      // [maxRows, H, T, T] (saved)
    private Tensor yHeads;     // [maxRows, H, T, hd] (scratch, forward)
    private Tensor yMerged;    // [maxRows, T, D], input of c_proj (saved)
    private Tensor dyHeads;    // [maxRows, H, T, hd] (scratch, backward)
    private Tensor dProbs;     // [maxRows, H, T, T] (scratch, backward)
    private Tensor dQkvHeads;  // [maxRows, 3, H, T, hd], used as [3, rows, H, T, hd] (scratch, backward)
    private Tensor dQkv;       // [maxRows, T, 3D], dy of c_attn (gradient)
    private Tensor attended;   // probabilities after attention dropout, [rows, H, T, T], last forward

    /**
     * {@code dim} features in {@code heads} heads; {@code dropout} for both dropouts; {@code projStd} the std of
     * {@code c_proj}'s initial weight (GPT-2: {@code 0.02 / sqrt(2 * layers)}); {@code c_attn}'s is 0.02.
     */
    public CausalSelfAttention(int dim, int heads, float dropout, double projStd) {
        if (dim <= 0 || heads <= 0) {
            throw new UserInputException("attention sizes must be positive, got dim=" + dim + " heads=" + heads);
        }
        if (dim % heads != 0) {
            throw new UserInputException("heads=" + heads + " does not divide dim=" + dim);
        }
        this.dim = dim;
        this.heads = heads;
        this.headDim = dim / heads;
        this.scale = (float) (1 / Math.sqrt(headDim));
        this.dropout = dropout;
        this.cAttn = new Linear(3 * dim, true, new Init.Weights.Normal(0.02));
        this.cProj = new Linear(dim, true, new Init.Weights.Normal(projStd));
        this.attnDropout = dropout > 0 ? new Dropout(dropout) : null;
        this.residDropout = dropout > 0 ? new Dropout(dropout) : null;
    }

    @Override
    public int[] declare(Declare d, int[] in) {
        if (in.length != 2 || in[1] != dim) {
            throw new UserInputException(d.name() + ": attention takes [T, D=" + dim + "] per sample, got "
                    + Shapes.show(in));
        }
        tokens = in[0];
        int t = tokens;
        cAttnOffset = d.nextParameterOffset();
        cAttn.declare(d.child("c_attn"), in);
        qkvSlot = d.saved("qkv_heads", DType.FLOAT32, 3, heads, t, headDim);
        probsSlot = d.saved("probs", DType.FLOAT32, heads, t, t);
        if (attnDropout != null) {
            attnDropout.declare(d.child("attn_dropout"), new int[] {heads, t, t});
        }
        yHeadsSlot = d.scratch("y_heads", DType.FLOAT32, heads, t, headDim);
        yMergedSlot = d.saved("y_merged", DType.FLOAT32, t, dim);
        cProjOffset = d.nextParameterOffset();
        cProj.declare(d.child("c_proj"), in);
        if (residDropout != null) {
            residDropout.declare(d.child("resid_dropout"), in);
        }
        dyHeadsSlot = d.scratch("dy_heads", DType.FLOAT32, heads, t, headDim);
        dProbsSlot = d.scratch("dprobs", DType.FLOAT32, heads, t, t);
        dQkvHeadsSlot = d.scratch("dqkv_heads", DType.FLOAT32, 3, heads, t, headDim);
        dQkvSlot = d.gradient("dqkv", DType.FLOAT32, t, 3 * dim);
        return in;
    }

    @Override
    public void initialize(Init init) {
        cAttn.initialize(init.child());
        cProj.initialize(init.child());
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        cAttn.bind(b);
        cProj.bind(b);
        if (attnDropout != null) {
            attnDropout.bind(b);
            residDropout.bind(b);
        }
        qkvHeads = b.tensor(qkvSlot);
        probs = b.tensor(probsSlot);
        yHeads = b.tensor(yHeadsSlot);
        yMerged = b.tensor(yMergedSlot);
        dyHeads = b.tensor(dyHeadsSlot);
        dProbs = b.tensor(dProbsSlot);
        dQkvHeads = b.tensor(dQkvHeadsSlot);
        dQkv = b.tensor(dQkvSlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        int rows = x.dim(0);
        int t = tokens;
        int n = rows * heads;
        Tensor qkv = cAttn.forward(x, ctx);                                      // [rows, T, 3D]
        Tensor split = qkvHeads.rows(0, rows);
        be.permute(qkv.reshape(rows, t, 3, heads, headDim), SPLIT, split.reshape(3, rows, heads, t, headDim));
        Tensor p = probs.rows(0, rows);                                          // [rows, H, T, T]
        Tensor pn = p.reshape(n, t, t);
        be.gemmBatched(false, true, scale, part(split, 0, n), part(split, 1, n), 0f, pn);
        be.causalSoftmaxForward(pn, pn);
        attended = attnDropout != null ? attnDropout.forward(p, ctx) : p;
        Tensor yh = yHeads.rows(0, rows).reshape(n, t, headDim);
        be.gemmBatched(false, false, 1f, attended.reshape(n, t, t), part(split, 2, n), 0f, yh);
        Tensor ym = yMerged.rows(0, rows);
        be.permute(yh.reshape(rows, heads, t, headDim), MERGE, ym.reshape(rows, t, heads, headDim));
        Tensor out = cProj.forward(ym, ctx);
        return residDropout != null ? residDropout.forward(out, ctx) : out;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        int rows = dy.dim(0);
        int t = tokens;
        int n = rows * heads;
        Backward inner = ctx.needing(true);
        Tensor d = residDropout != null ? residDropout.backward(dy, inner) : dy;
        Tensor dym = cProj.backward(d, inner);                                   // [rows, T, D]
        ctx.ready().accept(cProjOffset);
        Tensor dyh = dyHeads.rows(0, rows).reshape(n, t, headDim);
        be.permute(dym.reshape(rows, t, heads, headDim), MERGE, dyh.reshape(rows, heads, t, headDim));
        Tensor split = qkvHeads.rows(0, rows);
        Tensor dSplit = dQkvHeads.rows(0, rows);
        Tensor dp = dProbs.rows(0, rows);                                        // [rows, H, T, T]
        Tensor dpn = dp.reshape(n, t, t);
        be.gemmBatched(true, false, 1f, attended.reshape(n, t, t), dyh, 0f, part(dSplit, 2, n));     // dv
        be.gemmBatched(false, true, 1f, dyh, part(split, 2, n), 0f, dpn);                           // d attended
        if (attnDropout != null) {
            attnDropout.backward(dp, inner);                                     // in place: d probs
        }
        be.causalSoftmaxBackward(probs.rows(0, rows).reshape(n, t, t), dpn, dpn);                  // d scores
        be.gemmBatched(false, false, scale, dpn, part(split, 1, n), 0f, part(dSplit, 0, n));      // dq
        be.gemmBatched(true, false, scale, dpn, part(split, 0, n), 0f, part(dSplit, 1, n));       // dk
        Tensor dqkv = dQkv.rows(0, rows);
        be.permute(dSplit.reshape(3, rows, heads, t, headDim), UNSPLIT, dqkv.reshape(rows, t, 3, heads, headDim));
        Tensor dx = cAttn.backward(dqkv, ctx);
        ctx.ready().accept(cAttnOffset);
        return dx;
    }

    /** Part {@code i} (0: q, 1: k, 2: v) of a split {@code [3, rows, H, T, hd]} buffer, as {@code [rows * H, T, hd]}. */
    private Tensor part(Tensor split, int i, int n) {
        int block = n * tokens * headDim;
        return split.slice((long) i * block, block).reshape(n, tokens, headDim);
    }

    @Override
    public String describe() {
        return "CausalSelfAttention(dim " + dim + ", " + heads + " heads of " + headDim
                + (dropout > 0 ? ", dropout " + dropout : "") + ")\n  c_attn: "
                + cAttn.describe() + "\n  c_proj: " + cProj.describe();
    }
}
