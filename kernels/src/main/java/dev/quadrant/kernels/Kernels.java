package dev.quadrant.kernels;

import static dev.quadrant.kernels.KernelSpec.Arg.F32;
import static dev.quadrant.kernels.KernelSpec.Arg.I32;
import static dev.quadrant.kernels.KernelSpec.Arg.I64;
import static dev.quadrant.kernels.KernelSpec.Arg.PTR;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.KernelArgs;

/**
 * Typed launchers, one method per kernel: device addresses are {@code long}s (byte addresses of the first element),
 * counts are element counts. Every launch is queued on the given stream and returns at once; a count of zero
 * launches nothing. Each launch's arguments are checked against the kernel's {@link KernelSpec}.
 *
 * <p>Launch shapes: element-wise kernels use 256-thread blocks in a grid-stride loop with the grid capped at
 * 16 blocks per multiprocessor; row kernels one warp per row (8 rows per block), except softmax cross-entropy (one
 * block per row, for vocabularies of 50k) and the embedding backward (one block per position); column sums, the
 * LayerNorm parameter partials and the batch-norm reductions 32 x 8 blocks; reductions {@link #PARTIALS} blocks at
 * most, one double each; the image kernels and the batch-norm element-wise passes are element-wise (a thread per
 * output element).
 *
 * <p>Not thread-safe: each backend (one replica thread) owns its own instance.
 *
 * <pre>{@code
 * Kernels k = new Kernels(DeviceKernels.forDevice(0));
 * k.fill(stream, x, n, 0f);
 * k.reluForward(stream, x, y, n);
 * }</pre>
 */
public final class Kernels implements AutoCloseable {
    /** Maximum number of per-block partial results of {@link #sumPartials} and {@link #sumSquaresPartials}. */
    public static final int PARTIALS = 256;

    private static final int BLOCK = 256;
    private static final int ROWS_PER_BLOCK = BLOCK / 32;

    static final KernelSpec FILL = new KernelSpec(KernelFamily.ELEMENTWISE, "fill_f32", PTR, I64, F32);
    static final KernelSpec AXPY = new KernelSpec(KernelFamily.ELEMENTWISE, "axpy_f32", PTR, PTR, I64, F32);
    static final KernelSpec SCALE = new KernelSpec(KernelFamily.ELEMENTWISE, "scale_f32", PTR, I64, F32);
    static final KernelSpec MUL = new KernelSpec(KernelFamily.ELEMENTWISE, "mul_f32", PTR, PTR, PTR, I64);
    static final KernelSpec ADD_BIAS = new KernelSpec(KernelFamily.ELEMENTWISE, "add_bias_f32", PTR, PTR, I64, I32);
    static final KernelSpec ADD = new KernelSpec(KernelFamily.ELEMENTWISE, "add_f32", PTR, PTR, PTR, I64);
    static final KernelSpec DIV = new KernelSpec(KernelFamily.ELEMENTWISE, "div_f32", PTR, I64, F32);

    static final KernelSpec RELU_FWD = new KernelSpec(KernelFamily.ACTIVATIONS, "relu_forward_f32", PTR, PTR, I64);
    static final KernelSpec RELU_BWD = new KernelSpec(KernelFamily.ACTIVATIONS, "relu_backward_f32", PTR, PTR, PTR, I64);
    static final KernelSpec GELU_FWD = new KernelSpec(KernelFamily.ACTIVATIONS, "gelu_forward_f32", PTR, PTR, I64);
    static final KernelSpec GELU_BWD = new KernelSpec(KernelFamily.ACTIVATIONS, "gelu_backward_f32", PTR, PTR, PTR, I64);
    static final KernelSpec TANH_FWD = new KernelSpec(KernelFamily.ACTIVATIONS, "tanh_forward_f32", PTR, PTR, I64);
    static final KernelSpec TANH_BWD = new KernelSpec(KernelFamily.ACTIVATIONS, "tanh_backward_f32", PTR, PTR, PTR, I64);

    static final KernelSpec XENT_FWD = new KernelSpec(KernelFamily.SOFTMAX_XENT, "softmax_xent_forward_f32",
            PTR, PTR, PTR, I32, I32);
    static final KernelSpec XENT_BWD = new KernelSpec(KernelFamily.SOFTMAX_XENT, "softmax_xent_backward_f32",
            PTR, PTR, F32, PTR, I32, I32);
    static final KernelSpec MSE_FWD = new KernelSpec(KernelFamily.SOFTMAX_XENT, "mse_forward_f32", PTR, PTR, PTR, I32, I32);
    static final KernelSpec MSE_BWD = new KernelSpec(KernelFamily.SOFTMAX_XENT, "mse_backward_f32",
            PTR, PTR, F32, PTR, I64, I32);

    static final KernelSpec COLUMN_SUMS = new KernelSpec(KernelFamily.REDUCTIONS, "column_sums_f32", PTR, PTR, I32, I32, F32);
    static final KernelSpec SUM_PARTIALS = new KernelSpec(KernelFamily.REDUCTIONS, "sum_partials_f64", PTR, I64, PTR);
    static final KernelSpec SUMSQ_PARTIALS = new KernelSpec(KernelFamily.REDUCTIONS, "sumsq_partials_f64", PTR, I64, PTR);
    static final KernelSpec FINISH_SUM = new KernelSpec(KernelFamily.REDUCTIONS, "finish_sum_into_f32", PTR, I32, PTR);
    static final KernelSpec NONFINITE = new KernelSpec(KernelFamily.REDUCTIONS, "count_nonfinite", PTR, I64, PTR);
    static final KernelSpec FINISH_SUM_FINITE = new KernelSpec(KernelFamily.REDUCTIONS, "finish_sum_finite_into_f32",
            PTR, I32, PTR, F32, PTR);
    static final KernelSpec GRAD_STATS_PARTIALS = new KernelSpec(KernelFamily.REDUCTIONS, "grad_stats_partials",
            PTR, I64, PTR, PTR);
    static final KernelSpec GRAD_STATS_FINISH = new KernelSpec(KernelFamily.REDUCTIONS, "grad_stats_finish",
            PTR, PTR, I32, I64, F32, I64, PTR);
    static final KernelSpec ARGMAX = new KernelSpec(KernelFamily.REDUCTIONS, "argmax_rows_i32", PTR, PTR, I32, I32);
    static final KernelSpec COUNT_CORRECT = new KernelSpec(KernelFamily.REDUCTIONS, "count_correct_f32",
            PTR, PTR, PTR, I32, I32);

    static final KernelSpec SGD = new KernelSpec(KernelFamily.OPTIMIZERS, "sgd_update_f32",
            PTR, PTR, PTR, I64, F32, F32, I32, F32, PTR, PTR);
    static final KernelSpec ADAM = new KernelSpec(KernelFamily.OPTIMIZERS, "adam_update_f32",
            PTR, PTR, PTR, PTR, I64, F32, F32, F32, F32, F32, I32, F32, F32, PTR, I32, PTR);

    static final KernelSpec TO_BF16 = new KernelSpec(KernelFamily.CASTS, "f32_to_bf16", PTR, PTR, I64);
    static final KernelSpec FROM_BF16 = new KernelSpec(KernelFamily.CASTS, "bf16_to_f32", PTR, PTR, I64);

    static final KernelSpec DROPOUT = new KernelSpec(KernelFamily.DROPOUT, "dropout_mask_f32",
            PTR, I64, I64, I64, F32, F32);

    static final KernelSpec EMBEDDING_FWD = new KernelSpec(KernelFamily.EMBEDDING, "embedding_forward_f32",
            PTR, PTR, PTR, I64, I32, I32);
    static final KernelSpec EMBEDDING_BWD = new KernelSpec(KernelFamily.EMBEDDING, "embedding_backward_f32",
            PTR, PTR, PTR, I32, I32, I32);

    static final KernelSpec LAYERNORM_FWD = new KernelSpec(KernelFamily.LAYERNORM, "layernorm_forward_f32",
            PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, F32);
    static final KernelSpec LAYERNORM_BWD_DX = new KernelSpec(KernelFamily.LAYERNORM, "layernorm_backward_dx_f32",
            PTR, PTR, PTR, PTR, PTR, PTR, I32, I32);
    static final KernelSpec LAYERNORM_PARTIALS = new KernelSpec(KernelFamily.LAYERNORM, "layernorm_param_partials_f32",
            PTR, PTR, PTR, PTR, PTR, I32, I32, I32);
    static final KernelSpec LAYERNORM_FINISH = new KernelSpec(KernelFamily.LAYERNORM, "layernorm_param_finish_f32",
            PTR, PTR, PTR, I32, I32);

    static final KernelSpec CAUSAL_SOFTMAX_FWD = new KernelSpec(KernelFamily.ATTENTION, "causal_softmax_forward_f32",
            PTR, PTR, I32, I32);
    static final KernelSpec CAUSAL_SOFTMAX_BWD = new KernelSpec(KernelFamily.ATTENTION, "causal_softmax_backward_f32",
            PTR, PTR, PTR, I32, I32);

    static final KernelSpec PERMUTE = new KernelSpec(KernelFamily.PERMUTE, "permute_b32",
            PTR, PTR, I64, I32, I32, I32, I32, I32, I64, I64, I64, I64, I64, I64);

    static final KernelSpec IM2COL = image("im2col_f32", 2);
    static final KernelSpec COL2IM = image("col2im_f32", 2);
    static final KernelSpec MAXPOOL_FWD = image("max_pool2d_forward_f32", 3);
    static final KernelSpec MAXPOOL_BWD = image("max_pool2d_backward_f32", 3);
    static final KernelSpec AVGPOOL_FWD = image("avg_pool2d_forward_f32", 2);
    static final KernelSpec AVGPOOL_BWD = image("avg_pool2d_backward_f32", 2);

    static final KernelSpec BATCHNORM_CENTERED_PARTIALS = new KernelSpec(KernelFamily.BATCHNORM,
            "batchnorm_centered_partials_f32", PTR, PTR, PTR, I32, I32, I32, F32);
    static final KernelSpec BATCHNORM_GRAD_PARTIALS = new KernelSpec(KernelFamily.BATCHNORM,
            "batchnorm_grad_partials_f32", PTR, PTR, PTR, PTR, PTR, I32, I32, I32, F32, F32);
    static final KernelSpec BATCHNORM_FINISH = new KernelSpec(KernelFamily.BATCHNORM, "batchnorm_finish_f32",
            PTR, PTR, I32, I32, I32);
    static final KernelSpec BATCHNORM_FWD = new KernelSpec(KernelFamily.BATCHNORM, "batchnorm_forward_f32",
            PTR, PTR, PTR, PTR, PTR, PTR, I64, I32, F32, F32);
    static final KernelSpec BATCHNORM_RUNNING = new KernelSpec(KernelFamily.BATCHNORM, "batchnorm_running_update_f32",
            PTR, PTR, PTR, PTR, I32, F32, F32);
    static final KernelSpec BATCHNORM_BWD = new KernelSpec(KernelFamily.BATCHNORM, "batchnorm_backward_f32",
            PTR, PTR, PTR, PTR, PTR, PTR, PTR, I64, I32, F32, F32);

    /** Largest rank {@link #permute} takes. */
    public static final int MAX_PERMUTE_RANK = 6;

    /** Rows per chunk of the LayerNorm parameter-gradient partials, at least (see {@link #layerNormChunks}). */
    private static final int LAYERNORM_CHUNK_ROWS = 64;
    /** Most chunks of LayerNorm parameter-gradient partials. */
    private static final int LAYERNORM_MAX_CHUNKS = 256;

    private final LaunchTarget target;
    private final KernelArgs args = new KernelArgs(16);
    private final int maxGrid;
    private KernelSpec current;
    private int argIndex;

    /** A launcher over {@code kernels}; it owns a small native argument buffer ({@link #close()} frees it). */
    public Kernels(DeviceKernels kernels) {
        this(LaunchTarget.cuda(kernels));
    }

    /** A launcher that sends its launches to {@code target} (a host emulator in tests). */
    public Kernels(LaunchTarget target) {
        this.target = target;
        this.maxGrid = Math.max(1, target.multiprocessors()) * 16;
    }

    /** Every kernel spec declared here (for tests and diagnostics). */
    public static List<KernelSpec> specs() {
        List<KernelSpec> out = new ArrayList<>();
        for (Field f : Kernels.class.getDeclaredFields()) {
            if (f.getType() == KernelSpec.class && Modifier.isStatic(f.getModifiers())) {
                try {
                    out.add((KernelSpec) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    /** An {@code image.cu} kernel: {@code pointers} buffers, the element count, then {@link #window}'s 11 ints. */
    private static KernelSpec image(String name, int pointers) {
        KernelSpec.Arg[] a = new KernelSpec.Arg[pointers + 12];
        Arrays.fill(a, I32);
        Arrays.fill(a, 0, pointers, PTR);
        a[pointers] = I64;
        return new KernelSpec(KernelFamily.IMAGE, name, a);
    }

    /** Grid size of an element-wise launch over {@code n} elements. */
    static int elementGrid(long n, int maxGrid) {
        return (int) Math.min((n + BLOCK - 1) / BLOCK, maxGrid);
    }

    // ---- argument building, checked against the spec ------------------------------------------------------

    private Kernels begin(KernelSpec k) {
        current = k;
        argIndex = 0;
        args.clear();
        return this;
    }

    private void expect(KernelSpec.Arg a) {
        if (argIndex >= current.arity() || current.arg(argIndex) != a) {
            throw new IllegalStateException("launcher bug: argument " + argIndex + " of " + current + " given as " + a);
        }
        argIndex++;
    }

    private Kernels p(long address) {
        expect(PTR);
        args.ptr(address);
        return this;
    }

    private Kernels l(long v) {
        expect(I64);
        args.i64(v);
        return this;
    }

    private Kernels i(int v) {
        expect(I32);
        args.i32(v);
        return this;
    }

    private Kernels f(float v) {
        expect(F32);
        args.f32(v);
        return this;
    }

    private void launch(CudaStream s, int gridX, int blockX, int blockY) {
        if (argIndex != current.arity()) {
            throw new IllegalStateException("launcher bug: " + argIndex + " arguments given to " + current);
        }
        target.launch(current, gridX, blockX, blockY, s, args);
    }

    private void elementwise(CudaStream s, long n) {
        launch(s, elementGrid(n, maxGrid), BLOCK, 1);
    }

    private void rowwise(CudaStream s, int rows) {
        launch(s, (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, BLOCK, 1);
    }

    private void blockPerRow(CudaStream s, int rows) {
        launch(s, rows, BLOCK, 1);
    }

    // ---- elementwise.cu -----------------------------------------------------------------------------------

    public void fill(CudaStream s, long x, long n, float value) {
        if (n > 0) {
            begin(FILL).p(x).l(n).f(value).elementwise(s, n);
        }
    }

    /** {@code y += alpha * x}. */
    public void axpy(CudaStream s, long x, long y, long n, float alpha) {
        if (n > 0) {
            begin(AXPY).p(x).p(y).l(n).f(alpha).elementwise(s, n);
        }
    }

    public void scale(CudaStream s, long x, long n, float alpha) {
        if (n > 0) {
            begin(SCALE).p(x).l(n).f(alpha).elementwise(s, n);
        }
    }

    public void mul(CudaStream s, long a, long b, long out, long n) {
        if (n > 0) {
            begin(MUL).p(a).p(b).p(out).l(n).elementwise(s, n);
        }
    }

    /** {@code out = a + b}; {@code out} may be {@code a} or {@code b}. */
    public void add(CudaStream s, long a, long b, long out, long n) {
        if (n > 0) {
            begin(ADD).p(a).p(b).p(out).l(n).elementwise(s, n);
        }
    }

    /** {@code x = x / d}, one float division per element. */
    public void divide(CudaStream s, long x, long n, float d) {
        if (n > 0) {
            begin(DIV).p(x).l(n).f(d).elementwise(s, n);
        }
    }

    public void addBias(CudaStream s, long x, long bias, long rows, int cols) {
        if (rows > 0 && cols > 0) {
            begin(ADD_BIAS).p(x).p(bias).l(rows).i(cols).elementwise(s, rows * cols);
        }
    }

    // ---- activations.cu -----------------------------------------------------------------------------------

    /** {@code kind}: 0 ReLU, 1 GELU, 2 tanh (the order of {@code dev.quadrant.device.Activation}). */
    public void activationForward(CudaStream s, int kind, long x, long y, long n) {
        if (n > 0) {
            begin(kind == 0 ? RELU_FWD : kind == 1 ? GELU_FWD : TANH_FWD).p(x).p(y).l(n).elementwise(s, n);
        }
    }

    /** {@code dx = dy * f'(x)}; {@code kind} as in {@link #activationForward}. */
    public void activationBackward(CudaStream s, int kind, long x, long dy, long dx, long n) {
        if (n > 0) {
            begin(kind == 0 ? RELU_BWD : kind == 1 ? GELU_BWD : TANH_BWD).p(x).p(dy).p(dx).l(n).elementwise(s, n);
        }
    }

    // ---- softmax_xent.cu ----------------------------------------------------------------------------------

    /** {@code losses[r] = logsumexp(logits[r]) - logits[r, labels[r]]}, 0 for an ignored row; a block per row. */
    public void softmaxXentForward(CudaStream s, long logits, long labels, long losses, int rows, int cols) {
        if (rows > 0) {
            begin(XENT_FWD).p(logits).p(labels).p(losses).i(rows).i(cols).blockPerRow(s, rows);
        }
    }

    /** {@code dLogits = scale * (softmax - onehot)}, a zero row for an ignored row; a block per row. */
    public void softmaxXentBackward(CudaStream s, long logits, long labels, float scale, long dLogits, int rows, int cols) {
        if (rows > 0 && cols > 0) {
            begin(XENT_BWD).p(logits).p(labels).f(scale).p(dLogits).i(rows).i(cols).blockPerRow(s, rows);
        }
    }

    public void mseForward(CudaStream s, long pred, long target, long losses, int rows, int cols) {
        if (rows > 0) {
            begin(MSE_FWD).p(pred).p(target).p(losses).i(rows).i(cols).rowwise(s, rows);
        }
    }

    public void mseBackward(CudaStream s, long pred, long target, float scale, long dPred, long n, int cols) {
        if (n > 0) {
            begin(MSE_BWD).p(pred).p(target).f(scale).p(dPred).l(n).i(cols).elementwise(s, n);
        }
    }

    // ---- reductions.cu ------------------------------------------------------------------------------------

    /** {@code out[c] = beta * out[c] + sum over rows of x[r, c]} ({@code out} not read when beta is 0). */
    public void columnSums(CudaStream s, long x, long out, int rows, int cols, float beta) {
        if (cols > 0) {
            begin(COLUMN_SUMS).p(x).p(out).i(rows).i(cols).f(beta).launch(s, (cols + 31) / 32, 32, 8);
        }
    }

    /** Number of partials {@link #sumPartials} writes for {@code n} elements (at most {@link #PARTIALS}). */
    public static int partialCount(long n) {
        return Math.max(1, elementGrid(n, PARTIALS));
    }

    /** {@code partials[0, partialCount(n))} = per-block double sums of {@code x}. */
    public void sumPartials(CudaStream s, long x, long n, long partials) {
        begin(SUM_PARTIALS).p(x).l(n).p(partials).launch(s, partialCount(n), BLOCK, 1);
    }

    /** {@code partials[0, partialCount(n))} = per-block double sums of squares of {@code x}. */
    public void sumSquaresPartials(CudaStream s, long x, long n, long partials) {
        begin(SUMSQ_PARTIALS).p(x).l(n).p(partials).launch(s, partialCount(n), BLOCK, 1);
    }

    /** {@code acc[0] += sum of partials[0, count)}. */
    public void finishSumInto(CudaStream s, long partials, int count, long acc) {
        begin(FINISH_SUM).p(partials).i(count).p(acc).launch(s, 1, BLOCK, 1);
    }

    /** Sets {@code flag[0]} (an int the caller cleared) to 1 if any element is Inf or NaN. */
    public void flagNonFinite(CudaStream s, long x, long n, long flag) {
        if (n > 0) {
            begin(NONFINITE).p(x).l(n).p(flag).elementwise(s, n);
        }
    }

    /**
     * {@code acc[0] += sum of partials[0, count)} and {@code acc[1] += terms} when the int {@code flag[0]} (from
     * {@link #flagNonFinite}) is 0.
     */
    public void finishSumFiniteInto(CudaStream s, long partials, int count, long flag, float terms, long acc) {
        begin(FINISH_SUM_FINITE).p(partials).i(count).p(flag).f(terms).p(acc).launch(s, 1, BLOCK, 1);
    }

    /**
     * The gradient statistics of {@code x [n]} into {@code stats} ({@code dev.quadrant.device.GradientStats}), through
     * {@code partials} ({@link #partialCount} doubles) and {@code firstBad} (as many longs).
     */
    public void gradientStats(CudaStream s, long x, long n, long partials, long firstBad, float maxNorm, long step,
                              long stats) {
        int count = partialCount(n);
        begin(GRAD_STATS_PARTIALS).p(x).l(n).p(partials).p(firstBad).launch(s, count, BLOCK, 1);
        begin(GRAD_STATS_FINISH).p(partials).p(firstBad).i(count).l(n).f(maxNorm).l(step).p(stats).launch(s, 1, BLOCK, 1);
    }

    public void argmaxRows(CudaStream s, long x, long out, int rows, int cols) {
        if (rows > 0) {
            begin(ARGMAX).p(x).p(out).i(rows).i(cols).rowwise(s, rows);
        }
    }

    public void countCorrect(CudaStream s, long logits, long labels, long acc, int rows, int cols) {
        if (rows > 0) {
            begin(COUNT_CORRECT).p(logits).p(labels).p(acc).i(rows).i(cols).rowwise(s, rows);
        }
    }

    // ---- optimizers.cu ------------------------------------------------------------------------------------

    /**
     * {@code velocity} may be 0 when {@code momentum == 0}; {@code guard} (0: none) the device address of a
     * {@code GradientStats} tensor whose factor clips and whose flag skips the update.
     */
    public void sgdUpdate(CudaStream s, long param, long grad, long velocity, long n, float lr, float momentum,
                          boolean nesterov, float weightDecay, long guard) {
        sgdUpdate(s, param, grad, velocity, n, lr, momentum, nesterov, weightDecay, guard, 0);
    }

    /** As above, also writing each updated parameter, rounded to bf16, to {@code param16} (0: none). */
    public void sgdUpdate(CudaStream s, long param, long grad, long velocity, long n, float lr, float momentum,
                          boolean nesterov, float weightDecay, long guard, long param16) {
        if (n > 0) {
            begin(SGD).p(param).p(grad).p(velocity).l(n).f(lr).f(momentum).i(nesterov ? 1 : 0).f(weightDecay)
                    .p(guard).p(param16).elementwise(s, n);
        }
    }

    /**
     * Adam/AdamW; {@code step} counts from 1 (calls, skipped ones included, under a guard); the bias corrections are
     * computed here in double (on the device from {@code step - skipped} once the guard has skipped updates).
     */
    public void adamUpdate(CudaStream s, long param, long grad, long m, long v, long n, float lr, float beta1,
                           float beta2, float eps, float weightDecay, boolean decoupled, int step, long guard) {
        adamUpdate(s, param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, decoupled, step, guard, 0);
    }

    /** As above, also writing each updated parameter, rounded to bf16, to {@code param16} (0: none). */
    public void adamUpdate(CudaStream s, long param, long grad, long m, long v, long n, float lr, float beta1,
                           float beta2, float eps, float weightDecay, boolean decoupled, int step, long guard,
                           long param16) {
        if (n > 0) {
            double bc1 = 1 - Math.pow(beta1, step);
            double bc2 = 1 - Math.pow(beta2, step);
            begin(ADAM).p(param).p(grad).p(m).p(v).l(n).f(lr).f(beta1).f(beta2).f(eps).f(weightDecay)
                    .i(decoupled ? 1 : 0).f((float) (lr / bc1)).f((float) Math.sqrt(bc2)).p(guard).i(step)
                    .p(param16).elementwise(s, n);
        }
    }

    // ---- casts.cu, dropout.cu -----------------------------------------------------------------------------

    public void toBf16(CudaStream s, long src, long dst, long n) {
        if (n > 0) {
            begin(TO_BF16).p(src).p(dst).l(n).elementwise(s, n);
        }
    }

    public void fromBf16(CudaStream s, long src, long dst, long n) {
        if (n > 0) {
            begin(FROM_BF16).p(src).p(dst).l(n).elementwise(s, n);
        }
    }

    /** {@code mask[i] = uniform(seed, firstIndex + i) < p ? 0 : keep}. */
    public void dropoutMask(CudaStream s, long mask, long n, long seed, long firstIndex, float p, float keep) {
        if (n > 0) {
            begin(DROPOUT).p(mask).l(n).l(seed).l(firstIndex).f(p).f(keep).elementwise(s, n);
        }
    }

    // ---- embedding.cu -------------------------------------------------------------------------------------

    /** {@code out[i, :] = table[ids[i], :]} for {@code table [vocab, dim]}, a zero row for an id outside the table. */
    public void embeddingForward(CudaStream s, long table, long ids, long out, long n, int vocab, int dim) {
        if (n > 0 && dim > 0) {
            begin(EMBEDDING_FWD).p(table).p(ids).p(out).l(n).i(vocab).i(dim).elementwise(s, n * dim);
        }
    }

    /** {@code dTable[ids[i], :] += dOut[i, :]}, deterministic (per table row in increasing i); a block per position. */
    public void embeddingBackward(CudaStream s, long ids, long dOut, long dTable, int n, int vocab, int dim) {
        if (n > 0 && dim > 0) {
            begin(EMBEDDING_BWD).p(ids).p(dOut).p(dTable).i(n).i(vocab).i(dim).blockPerRow(s, n);
        }
    }

    // ---- layernorm.cu -------------------------------------------------------------------------------------

    /** {@code y = (x - mean) * rstd * gamma + beta} per row of {@code x [rows, cols]}; writes {@code mean, rstd [rows]}. */
    public void layerNormForward(CudaStream s, long x, long gamma, long beta, long y, long mean, long rstd, int rows,
                                 int cols, float eps) {
        if (rows > 0) {
            begin(LAYERNORM_FWD).p(x).p(gamma).p(beta).p(y).p(mean).p(rstd).i(rows).i(cols).f(eps).rowwise(s, rows);
        }
    }

    /**
     * Number of row chunks of the LayerNorm parameter-gradient partials for {@code rows} rows: a function of the shape
     * only, so the summation order (and the result, bit for bit) is the same on every GPU.
     */
    public static int layerNormChunks(int rows) {
        return Math.max(1, Math.min(LAYERNORM_MAX_CHUNKS, (rows + LAYERNORM_CHUNK_ROWS - 1) / LAYERNORM_CHUNK_ROWS));
    }

    /**
     * LayerNorm backward: {@code dgamma += sum dy * xhat}, {@code dbeta += sum dy} (through {@code partials}, scratch
     * of {@code 2 * layerNormChunks(rows) * cols} floats, in a fixed order), then {@code dx} ({@code dx} may be
     * {@code dy}: the partials are queued first).
     */
    public void layerNormBackward(CudaStream s, long x, long gamma, long mean, long rstd, long dy, long dx, long dGamma,
                                  long dBeta, long partials, int rows, int cols) {
        if (cols <= 0) {
            return;
        }
        int chunks = layerNormChunks(rows);
        if (rows > 0) {
            int chunkRows = (rows + chunks - 1) / chunks;
            int tiles = (cols + 31) / 32;
            begin(LAYERNORM_PARTIALS).p(x).p(mean).p(rstd).p(dy).p(partials).i(rows).i(cols).i(chunkRows)
                    .launch(s, Math.multiplyExact(chunks, tiles), 32, 8);
            begin(LAYERNORM_FINISH).p(partials).p(dGamma).p(dBeta).i(chunks).i(cols).elementwise(s, cols);
            begin(LAYERNORM_BWD_DX).p(x).p(gamma).p(mean).p(rstd).p(dy).p(dx).i(rows).i(cols).rowwise(s, rows);
        }
    }

    // ---- batchnorm.cu -------------------------------------------------------------------------------------

    /**
     * Number of row chunks of the batch-norm reductions over {@code rows} positions (as {@link #layerNormChunks}: at
     * least 64 rows a chunk, at most 256 chunks): a function of the shape only, so the summation order (and the
     * result, bit for bit) is the same on every GPU. The scratch of {@link #centeredSquareSums} holds
     * {@code batchNormChunks(rows) * cols} floats, that of {@link #batchNormBackwardSums} twice as many.
     */
    public static int batchNormChunks(int rows) {
        return layerNormChunks(rows);
    }

    /** {@code out[c] = sum_r (x[r, c] - sum[c] / count)^2}, through {@code partials} in a fixed order; WRITES out. */
    public void centeredSquareSums(CudaStream s, long x, long sum, long out, long partials, int rows, int cols,
                                   float count) {
        if (rows <= 0 || cols <= 0) {
            return;
        }
        int chunks = batchNormChunks(rows);
        int chunkRows = (rows + chunks - 1) / chunks;
        begin(BATCHNORM_CENTERED_PARTIALS).p(x).p(sum).p(partials).i(rows).i(cols).i(chunkRows).f(count)
                .launch(s, Math.multiplyExact(chunks, (cols + 31) / 32), 32, 8);
        begin(BATCHNORM_FINISH).p(partials).p(out).i(chunks).i(cols).i(1).elementwise(s, cols);
    }

    /** {@code y = (x - mean) rstd gamma + beta} per channel of {@code x [rows, cols]}; {@code y} may be {@code x}. */
    public void batchNormForward(CudaStream s, long x, long sum, long sqSum, long gamma, long beta, long y, int rows,
                                 int cols, float count, float eps) {
        long n = (long) rows * cols;
        if (n > 0) {
            begin(BATCHNORM_FWD).p(x).p(sum).p(sqSum).p(gamma).p(beta).p(y).l(n).i(cols).f(count).f(eps)
                    .elementwise(s, n);
        }
    }

    /** The running mean and (unbiased) variance, {@code [cols]}, moved by {@code momentum} towards the batch's. */
    public void batchNormRunningUpdate(CudaStream s, long sum, long sqSum, long runningMean, long runningVar, int cols,
                                       float count, float momentum) {
        if (cols > 0) {
            begin(BATCHNORM_RUNNING).p(sum).p(sqSum).p(runningMean).p(runningVar).i(cols).f(count).f(momentum)
                    .elementwise(s, cols);
        }
    }

    /**
     * {@code sums [2, cols]}: {@code sum_r dy} and {@code sum_r dy xhat}, through {@code partials} ({@code 2 *
     * batchNormChunks(rows) * cols} floats) in a fixed order; WRITES sums.
     */
    public void batchNormBackwardSums(CudaStream s, long x, long sum, long sqSum, long dy, long sums, long partials,
                                      int rows, int cols, float count, float eps) {
        if (rows <= 0 || cols <= 0) {
            return;
        }
        int chunks = batchNormChunks(rows);
        int chunkRows = (rows + chunks - 1) / chunks;
        begin(BATCHNORM_GRAD_PARTIALS).p(x).p(sum).p(sqSum).p(dy).p(partials).i(rows).i(cols).i(chunkRows).f(count)
                .f(eps).launch(s, Math.multiplyExact(chunks, (cols + 31) / 32), 32, 8);
        begin(BATCHNORM_FINISH).p(partials).p(sums).i(chunks).i(cols).i(2).elementwise(s, 2L * cols);
    }

    /** {@code dx = gamma rstd (dy - sums[0] / count - xhat sums[1] / count)}; {@code dx} may be {@code dy}. */
    public void batchNormBackward(CudaStream s, long x, long sum, long sqSum, long gamma, long sums, long dy, long dx,
                                  int rows, int cols, float count, float eps) {
        long n = (long) rows * cols;
        if (n > 0) {
            begin(BATCHNORM_BWD).p(x).p(sum).p(sqSum).p(gamma).p(sums).p(dy).p(dx).l(n).i(cols).f(count).f(eps)
                    .elementwise(s, n);
        }
    }

    // ---- attention.cu -------------------------------------------------------------------------------------

    /** Causal softmax of each row of {@code rows / t} matrices {@code [t, t]}; {@code probs} may be {@code scores}. */
    public void causalSoftmaxForward(CudaStream s, long scores, long probs, int rows, int t) {
        if (rows > 0) {
            begin(CAUSAL_SOFTMAX_FWD).p(scores).p(probs).i(rows).i(t).rowwise(s, rows);
        }
    }

    /** Backward of {@link #causalSoftmaxForward}; {@code dScores} may be {@code dProbs}. */
    public void causalSoftmaxBackward(CudaStream s, long probs, long dProbs, long dScores, int rows, int t) {
        if (rows > 0) {
            begin(CAUSAL_SOFTMAX_BWD).p(probs).p(dProbs).p(dScores).i(rows).i(t).rowwise(s, rows);
        }
    }

    // ---- permute.cu ---------------------------------------------------------------------------------------

    /**
     * {@code y = x.transpose(perm)} for 4-byte elements: {@code shape} is x's (rank 1 to {@link #MAX_PERMUTE_RANK}),
     * {@code perm} a permutation of its axes (the caller checks both).
     */
    public void permute(CudaStream s, long x, long y, int[] shape, int[] perm) {
        int rank = shape.length;
        long n = 1;
        long[] inStride = new long[rank];
        for (int a = rank - 1; a >= 0; a--) {
            inStride[a] = n;
            n *= shape[a];
        }
        if (n == 0) {
            return;
        }
        int pad = MAX_PERMUTE_RANK - rank;   // leading axes of size 1 (stride 0) up to rank 6
        int[] d = new int[MAX_PERMUTE_RANK];
        long[] st = new long[MAX_PERMUTE_RANK];
        for (int a = 0; a < MAX_PERMUTE_RANK; a++) {
            d[a] = a < pad ? 1 : shape[perm[a - pad]];
            st[a] = a < pad ? 0 : inStride[perm[a - pad]];
        }
        begin(PERMUTE).p(x).p(y).l(n).i(d[1]).i(d[2]).i(d[3]).i(d[4]).i(d[5])
                .l(st[0]).l(st[1]).l(st[2]).l(st[3]).l(st[4]).l(st[5]).elementwise(s, n);
    }

    // ---- image.cu -----------------------------------------------------------------------------------------

    /** {@code col [n * ho * wo, c * kh * kw] = im2col(x [n, h, w, c])}, zeros for padding; a thread per col entry. */
    public void im2col(CudaStream s, long x, long col, ImageWindow g) {
        begin(IM2COL).p(x).p(col).window(s, g, g.colSize());
    }

    /** {@code dx [n, h, w, c]} = the adjoint of {@link #im2col} (written, not added), a deterministic gather. */
    public void col2im(CudaStream s, long col, long dx, ImageWindow g) {
        begin(COL2IM).p(col).p(dx).window(s, g, g.inputSize());
    }

    /** {@code y, argmax [n, ho, wo, c]}: each window's first maximum (NaN wins, padding never), at {@code iy * w + ix}. */
    public void maxPool2dForward(CudaStream s, long x, long y, long argmax, ImageWindow g) {
        begin(MAXPOOL_FWD).p(x).p(y).p(argmax).window(s, g, g.outputSize());
    }

    /** {@code dx [n, h, w, c]} (written): each {@code dy} at its argmax, gathered over the windows in a fixed order. */
    public void maxPool2dBackward(CudaStream s, long dy, long argmax, long dx, ImageWindow g) {
        begin(MAXPOOL_BWD).p(dy).p(argmax).p(dx).window(s, g, g.inputSize());
    }

    /** {@code y [n, ho, wo, c]}: window means, padding counted as zeros ({@code count_include_pad}). */
    public void avgPool2dForward(CudaStream s, long x, long y, ImageWindow g) {
        begin(AVGPOOL_FWD).p(x).p(y).window(s, g, g.outputSize());
    }

    /** {@code dx [n, h, w, c]} (written): the sum of {@code dy / (kh * kw)} over each element's windows. */
    public void avgPool2dBackward(CudaStream s, long dy, long dx, ImageWindow g) {
        begin(AVGPOOL_BWD).p(dy).p(dx).window(s, g, g.inputSize());
    }

    /** The count and geometry arguments every {@code image.cu} kernel ends with, then the element-wise launch. */
    private void window(CudaStream s, ImageWindow g, long total) {
        if (total > 0) {
            l(total).i(g.h()).i(g.w()).i(g.c()).i(g.ho()).i(g.wo()).i(g.kh()).i(g.kw()).i(g.sh()).i(g.sw()).i(g.ph())
                    .i(g.pw()).elementwise(s, total);
        }
    }

    /** Frees the argument buffer. */
    @Override
    public void close() {
        args.close();
    }
}
