package dev.quadrant.device;

/**
 * The ops the trainer needs, on one device, for one replica. Every implementation ({@code CpuBackend},
 * {@code CudaBackend}) is checked op by op against a float64 reference by the conformance suite in {@code tests/},
 * which also asserts that it covered every method declared here.
 *
 * <p>Conventions:
 * <ul>
 *   <li>Matrices are row-major; a 2-D tensor {@code [rows, cols]}. Shapes are checked and a mismatch throws an
 *       {@link IllegalArgumentException} naming the argument, its shape and the expected one.</li>
 *   <li>Ops are ordered: on a GPU they are queued on the replica's stream and may return before they finish;
 *       {@link #synchronize()} waits. Methods that return a host value (e.g. {@link #l2Norm}) synchronise.</li>
 *   <li>Reductions that feed metrics accumulate into a one-element device tensor ({@link #sumInto},
 *       {@link #countCorrect}, {@link #sumFiniteInto}) so a training step never waits for the host; the gradient
 *       checks of a step ({@link #gradientStats}) stay on the device too and guard the optimizer updates.</li>
 *   <li>Input and output tensors of one call must not overlap unless the method says so.</li>
 * </ul>
 *
 * <p>Thread-safety: a backend belongs to one replica thread; it is not safe to call one instance from several
 * threads at once.
 *
 * <pre>{@code
 * try (Backend be = new CpuBackend(2); Tensor a = be.allocate(DType.FLOAT32, 4, 3); ...) {
 *     be.gemm(false, true, 1f, x, w, 0f, y);   // y[B,N] = x[B,K] * w[N,K]^T
 *     be.addBias(y, b);
 *     be.activationForward(Activation.RELU, y, h);
 * }
 * }</pre>
 */
public interface Backend extends AutoCloseable {

    /** The label (or target token) that losses and metrics skip, as llm.c's {@code -1}. */
    int IGNORE_INDEX = -1;

    /** The device this backend computes on. */
    Device device();

    /** A human-readable name, e.g. {@code "cpu (oneDNN 3.11.0, 2 threads)"} (the CPU names its GEMM library). */
    String describe();

    // ---- memory -----------------------------------------------------------------------------------------

    /** A new zero-filled tensor; the caller closes it. */
    Tensor allocate(DType dtype, int... shape);

    /** Copies {@code dst.size()} floats from {@code src[srcOffset...]} into {@code dst} (FLOAT32). */
    void upload(float[] src, int srcOffset, Tensor dst);

    /** Copies {@code dst.size()} ints from {@code src[srcOffset...]} into {@code dst} (INT32). */
    void upload(int[] src, int srcOffset, Tensor dst);

    /** Copies {@code src} (FLOAT32) into {@code dst[dstOffset...]}; waits for queued work first. */
    void download(Tensor src, float[] dst, int dstOffset);

    /** Copies {@code src} (INT32) into {@code dst[dstOffset...]}; waits for queued work first. */
    void download(Tensor src, int[] dst, int dstOffset);

    /** Waits until every queued op has finished. */
    void synchronize();

    // ---- BLAS-like ----------------------------------------------------------------------------------------

    /**
     * {@code c = alpha * op(a) * op(b) + beta * c} for 2-D tensors, where {@code op(x)} is {@code x} or its
     * transpose. {@code op(a)} is {@code [m,k]}, {@code op(b)} is {@code [k,n]}, {@code c} is {@code [m,n]}. {@code c}
     * is FLOAT32; {@code a} and {@code b} are each FLOAT32 or BF16 (a trainer's bf16 copy of its weights, see
     * {@link #gemmRoundsToBf16}): a BF16 operand means its values exactly, and a backend that multiplies in bf16
     * uses it without the cast it gives a FLOAT32 operand.
     */
    void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /**
     * Whether {@link #gemm} rounds FLOAT32 operands to bfloat16 (a GPU backend at {@code --precision bf16}). Then a
     * trainer keeps a BF16 copy of its fp32 master weights, refreshed once per step, and passes the copy to
     * {@link #gemm}: the same products, bit for bit, without casting each weight on every call. Default false.
     */
    default boolean gemmRoundsToBf16() { return false; }

    /** {@code y += alpha * x}, element-wise over equal sizes. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** {@code x *= alpha}. */
    void scale(Tensor x, float alpha);

    /** Sets every element of a FLOAT32 tensor to {@code value}. */
    void fill(Tensor x, float value);

    /** Copies {@code src} into {@code dst} (equal sizes and dtypes). */
    void copy(Tensor src, Tensor dst);

    /** {@code out = a * b} element-wise; {@code out} may be {@code a} or {@code b}. */
    void mul(Tensor a, Tensor b, Tensor out);

    // ---- layers -------------------------------------------------------------------------------------------

    /** Adds {@code bias[n]} to every row of {@code x[rows, n]} in place. */
    void addBias(Tensor x, Tensor bias);

    /** {@code out[n] = beta * out[n] + sum over rows of x[rows, n]}. */
    void columnSums(Tensor x, float beta, Tensor out);

    /** {@code y = f(x)} element-wise; {@code y} may be {@code x}. */
    void activationForward(Activation f, Tensor x, Tensor y);

    /** {@code dx = dy * f'(x)} element-wise, with {@code x} the input of the forward pass; {@code dx} may be {@code dy}. */
    void activationBackward(Activation f, Tensor x, Tensor dy, Tensor dx);

    /**
     * Fills {@code mask} with inverted-dropout factors: element {@code i} is {@code 0} with probability {@code p}
     * and {@code 1/(1-p)} otherwise, decided by a counter-based hash of {@code (seed, firstIndex + i)} that every
     * backend computes identically (see {@link DropoutHash}). {@code firstIndex} places the mask in a larger logical
     * tensor: a replica whose shard starts at row {@code r0} of the global batch passes {@code r0 * rowSize}, so N
     * replicas draw exactly the masks one replica draws for the whole batch.
     */
    void dropoutMask(Tensor mask, float p, long seed, long firstIndex);

    // ---- sequence models ------------------------------------------------------------------------------------

    /**
     * Batched {@code c[i] = alpha * op(a[i]) * op(b[i]) + beta * c[i]} over 3-D FLOAT32 tensors whose first dimension
     * is the batch (equal in all three); each {@code [i]} is a row-major matrix as in {@link #gemm}, the matrices of
     * one tensor contiguous one after another (a strided batch, cuBLAS's {@code gemmStridedBatchedEx}). Attention uses
     * it for {@code q k^T} and {@code p v} over {@code [batch * heads, T, headDim]}.
     */
    void gemmBatched(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /**
     * Row gather: {@code out[i, :] = table[ids[i], :]} for {@code table [V, D]}, INT32 {@code ids [n]} and
     * {@code out [n, D]}. An id outside {@code [0, V)} gives a zero row (the host checks data before it gets here).
     */
    void embeddingForward(Tensor table, Tensor ids, Tensor out);

    /**
     * Scatter-add, the backward of {@link #embeddingForward}: {@code dTable[ids[i], :] += dOut[i, :]} for every
     * {@code i} with a valid id. Deterministic: for each table row the contributions are added in increasing
     * {@code i}, on every backend (no float atomics whose order varies), so runs are bit-reproducible.
     */
    void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable);

    /**
     * LayerNorm over the last dimension of {@code x [n, d]}: {@code mean[r]} and {@code rstd[r] = 1/sqrt(var + eps)}
     * (biased variance, as PyTorch) are written for backward, and
     * {@code y = (x - mean) * rstd * gamma + beta} with {@code gamma, beta [d]}. {@code y} may not be {@code x}.
     */
    void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd);

    /**
     * Backward of {@link #layerNormForward} from {@code dy [n, d]}: WRITES {@code dx [n, d]} and ACCUMULATES
     * {@code dGamma += sum_r dy * xhat} and {@code dBeta += sum_r dy} (parameter gradients accumulate, see the
     * trainer's module contract). {@code dx} may be {@code dy}.
     */
    void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma,
                           Tensor dBeta);

    /**
     * Causal softmax over the last dimension of {@code scores [batch, T, T]}: row {@code i} of each matrix is the
     * softmax of its entries {@code j <= i} (max subtracted), and {@code probs[.., i, j] = 0} for {@code j > i}.
     * {@code probs} may be {@code scores}. (The {@code 1/sqrt(headDim)} scale goes into the GEMM that makes the
     * scores.)
     */
    void causalSoftmaxForward(Tensor scores, Tensor probs);

    /**
     * Backward of {@link #causalSoftmaxForward}: {@code dScores[i, j] = probs[i, j] * (dProbs[i, j] - sum_k
     * probs[i, k] * dProbs[i, k])} for {@code j <= i}, 0 above the diagonal. {@code dScores} may be {@code dProbs}.
     */
    void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores);

    /**
     * Copies {@code x} into {@code y} with its axes reordered, as numpy's {@code transpose(perm)}: {@code y} has shape
     * {@code x.shape[perm[0]], x.shape[perm[1]], ...} and {@code y[i_0, ..., i_k] = x[j]} where {@code j[perm[a]] =
     * i_a}. Rank 1 to 6; {@code perm} a permutation of {@code 0..rank-1}. Attention splits {@code [B, T, 3, H, hd]}
     * into q, k, v {@code [3, B, H, T, hd]} with {@code perm = {2, 0, 3, 1, 4}} and merges heads back with
     * {@code {0, 2, 1, 3}}; the backward of a permute is the permute by the inverse permutation.
     */
    void permute(Tensor x, int[] perm, Tensor y);

    // ---- images (channels-last [N, H, W, C]) --------------------------------------------------------------------

    /**
     * Unfolds every window of {@code x [N, H, W, C]} into a row: {@code col [N * Ho * Wo, C * kh * kw]}, row
     * {@code (n, oy, ox)} holding the window at output position {@code (oy, ox)}, column {@code (c * kh + ky) * kw + kx}
     * holding {@code x[n, oy * sh - ph + ky, ox * sw - pw + kx, c]} (0 outside the image). The column order is that of
     * a PyTorch weight {@code [out, in, kh, kw]} flattened, so a convolution is {@code y = col W^T}
     * ({@code y [N * Ho * Wo, out]} = channels-last output) and its weight gradient {@code dW = dy^T col}.
     */
    void im2col(Tensor x, Window2d w, Tensor col);

    /**
     * The adjoint of {@link #im2col}: WRITES {@code dx [N, H, W, C]} with, for each element, the sum of the
     * {@code col} entries that {@link #im2col} would copy from it (padding entries dropped). Deterministic: each
     * element sums its entries in a fixed order (by window position, then kernel offset), no atomics.
     */
    void col2im(Tensor col, Window2d w, Tensor dx);

    /**
     * Max pooling: {@code y[n, oy, ox, c]} = the maximum of the window (padding never wins; a NaN wins as in
     * PyTorch), and {@code argmax} (INT32, same shape as {@code y}) the flat index {@code (iy * W + ix)} of the first
     * maximum in the window, in row-major window order (of several NaNs, the first). Padding may be at most half the
     * kernel ({@code 2 ph <= kh}, {@code 2 pw <= kw}, as PyTorch), so every window holds an image element.
     */
    void maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax);

    /**
     * Backward of {@link #maxPool2dForward}: WRITES {@code dx [N, H, W, C]}: zero except that each output's
     * {@code dy} is added at its argmax; overlapping windows add in a fixed order (deterministic). An argmax that
     * does not lie inside its own window (one {@link #maxPool2dForward} never writes) adds nothing.
     */
    void maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx);

    /**
     * Average pooling: {@code y} = the mean of the window's {@code kh * kw} entries, padding counted as zeros
     * (PyTorch's {@code count_include_pad=True}). A window of the whole image ({@code Window2d(H, W, 1, 1, 0, 0)}) is
     * global average pooling.
     */
    void avgPool2dForward(Tensor x, Window2d w, Tensor y);

    /** Backward of {@link #avgPool2dForward}: WRITES {@code dx}, each element the sum of {@code dy / (kh * kw)} over its windows. */
    void avgPool2dBackward(Tensor dy, Window2d w, Tensor dx);

    /**
     * A 2-D convolution over channels-last images: WRITES {@code y [N * Ho * Wo, out] = im2col(x) W^T (+ bias)}, with
     * {@code x [N, H, W, C]}, {@code weight [out, C * kh * kw]} (a PyTorch weight {@code [out, C, kh, kw]} flattened)
     * and {@code bias [out]} or null. {@code col [N * Ho * Wo, C * kh * kw]} (null allowed when
     * {@link #convolutionUsesColumns} is false) is the backend's to use: the generic
     * path ({@link Im2colConvolution}) leaves {@code im2col(x)} there for {@link #conv2dBackward}; a backend may
     * instead work a few images at a time in cache and recompute them in the backward (the CPU backend does), so
     * {@code col}'s contents are unspecified. The caller passes the same {@code x} and {@code col}, unchanged, to the
     * backward. Results equal {@code im2col} then {@link #gemm} then {@link #addBias} up to GEMM rounding (the sum over
     * the window may be bracketed otherwise), and are the same bit for bit on every run and for every thread count.
     */
    void conv2dForward(Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y);

    /**
     * Whether {@link #conv2dForward} and {@link #conv2dBackward} use their {@code col} and {@code dcol} buffers. When
     * false (the CPU backend, which unfolds a few images at a time into tiles of its own), callers may pass null for
     * both and need not allocate them: a trainer's memory plan leaves them out. The generic path needs them.
     */
    default boolean convolutionUsesColumns() { return true; }

    /**
     * Backward of {@link #conv2dForward} (same {@code x}, {@code w}, {@code weight}, {@code col}): ACCUMULATES
     * {@code dWeight [out, C * kh * kw] += dy^T im2col(x)} and, when {@code dBias} is not null, {@code dBias [out] +=}
     * the column sums of {@code dy [N * Ho * Wo, out]}; when {@code dx} is not null WRITES {@code dx [N, H, W, C] =
     * col2im(dy W)}, with {@code dcol [N * Ho * Wo, C * kh * kw]} as scratch. Deterministic as {@link #col2im}.
     */
    void conv2dBackward(Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol, Tensor dWeight,
                        Tensor dBias, Tensor dx);

    // ---- batch normalisation (channels last: x [m, c], m = rows * H * W positions, c channels) -----------------
    //
    // The statistics are passed as raw per-channel sums so that data-parallel replicas can add theirs up across the
    // group (synchronised batch norm) between the calls: mean = sum / count, var = sqSum / count (biased, as
    // PyTorch normalises with), rstd = 1 / sqrt(var + eps), xhat = (x - mean) * rstd. Every reduction runs in a fixed
    // order on every backend (deterministic, thread-count independent). Evaluation passes the running mean and
    // variance as sum and sqSum with count 1.

    /**
     * WRITES {@code out[j] = sum_i (x[i, j] - sum[j] / count)^2} for {@code x [m, c]}, {@code sum, out [c]}: the sum of
     * squares about the mean {@code sum / count} (two-pass variance; {@code sum} comes from {@link #columnSums}, added
     * up across replicas when synchronised). {@code count > 0}.
     */
    void centeredSquareSums(Tensor x, Tensor sum, float count, Tensor out);

    /**
     * {@code y[i, j] = (x[i, j] - mean[j]) * rstd[j] * gamma[j] + beta[j]} with {@code mean = sum / count} and
     * {@code rstd = 1 / sqrt(sqSum / count + eps)}; {@code x, y [m, c]}, the rest {@code [c]}. {@code y} may be
     * {@code x}.
     */
    void batchNormForward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma, Tensor beta,
                          Tensor y);

    /**
     * Running statistics, as PyTorch: {@code runningMean = (1 - momentum) runningMean + momentum sum / count} and
     * {@code runningVar = (1 - momentum) runningVar + momentum sqSum / (count - 1)} (unbiased); all {@code [c]};
     * {@code count > 1}.
     */
    void batchNormRunningUpdate(Tensor sum, Tensor sqSum, float count, float momentum, Tensor runningMean,
                                Tensor runningVar);

    /**
     * WRITES {@code sums [2, c]}: {@code sums[0, j] = sum_i dy[i, j]} and {@code sums[1, j] = sum_i dy[i, j] *
     * xhat[i, j]}, with {@code xhat} recomputed from {@code x, sum, sqSum, count, eps} as in
     * {@link #batchNormForward}. They are this replica's {@code dBeta} and {@code dGamma}, and, added up across the
     * group, what {@link #batchNormBackward} needs.
     */
    void batchNormBackwardSums(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor dy, Tensor sums);

    /**
     * WRITES {@code dx[i, j] = gamma[j] rstd[j] (dy[i, j] - sums[0, j] / count - xhat[i, j] sums[1, j] / count)}, the
     * input gradient of {@link #batchNormForward} in training (the statistics depend on the batch); {@code sums} from
     * {@link #batchNormBackwardSums} (over the whole group when synchronised, {@code count} the group's positions).
     * {@code dx} may be {@code dy}.
     */
    void batchNormBackward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma,
                           Tensor sums, Tensor dy, Tensor dx);

    // ---- losses and metrics -------------------------------------------------------------------------------

    /**
     * Per-sample softmax cross-entropy: {@code losses[r] = logsumexp(logits[r,:]) - logits[r, labels[r]]},
     * computed stably (max subtracted). {@code labels} is INT32 {@code [rows]} with values in {@code [0, classes)} or
     * {@link #IGNORE_INDEX}; an ignored row has loss 0 (and gradient 0 in the backward). Written for any number of
     * classes (a language model's vocabulary of 50k included): one pass for the maximum, one for the sum.
     */
    void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor losses);

    /**
     * {@code dLogits = scale * (softmax(logits) - onehot(labels))}, and a zero row where the label is
     * {@link #IGNORE_INDEX}; {@code scale} is usually {@code 1 / global number of loss terms}.
     */
    void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, float scale, Tensor dLogits);

    /** Per-sample mean squared error: {@code losses[r] = mean over j of (pred[r,j] - target[r,j])^2}. */
    void mseForward(Tensor pred, Tensor target, Tensor losses);

    /** {@code dPred = scale * 2 * (pred - target) / cols}. */
    void mseBackward(Tensor pred, Tensor target, float scale, Tensor dPred);

    /** {@code out[r] = argmax over j of x[r, j]} (first index on ties); {@code out} is INT32 {@code [rows]}. */
    void argmax(Tensor x, Tensor out);

    /**
     * {@code acc[0] += number of rows r with argmax(logits[r,:]) == labels[r]}; {@code acc} is FLOAT32 {@code [1]};
     * rows labelled {@link #IGNORE_INDEX} never count.
     */
    void countCorrect(Tensor logits, Tensor labels, Tensor acc);

    /** {@code acc[0] += sum of x}; {@code acc} is FLOAT32 {@code [1]}. */
    void sumInto(Tensor x, Tensor acc);

    /** Euclidean norm of {@code x}, accumulated in double precision; synchronises. */
    double l2Norm(Tensor x);

    /** True if every element of {@code x} is finite; synchronises. */
    boolean allFinite(Tensor x);

    /**
     * The gradient statistics of one optimizer step, on the device (no host read; see {@link GradientStats} for the
     * layout of {@code stats}, FLOAT32 {@code [GradientStats.SIZE]}): WRITES the L2 norm of {@code grad} (squares
     * summed in double, in the order {@link #l2Norm} sums them, so the two agree bit for bit; NaN when
     * {@code maxNorm <= 0}, no clipping, which needs no norm), the non-finite flag and the clipping factor for
     * {@code maxNorm} ({@link GradientStats#factor}; 1 when {@code maxNorm <= 0});
     * when {@code grad} holds a NaN or an infinity, ACCUMULATES 1 into the skipped count and, if it was 0, records
     * {@code step} and the index of the first non-finite element. Deterministic (the first index is a minimum).
     */
    void gradientStats(Tensor grad, float maxNorm, long step, Tensor stats);

    /**
     * {@code acc[0] += sum of x} and {@code acc[1] += terms}, but only when every element of {@code x} is finite
     * (a diverged batch's losses are left out of the running loss under {@code --on-nan skip} with no host read);
     * {@code acc} is FLOAT32 {@code [2]}.
     */
    void sumFiniteInto(Tensor x, float terms, Tensor acc);

    // ---- optimizer updates over flat buffers ---------------------------------------------------------------

    /**
     * SGD with optional momentum and Nesterov, PyTorch semantics: {@code g = grad + weightDecay * param};
     * with momentum {@code v = momentum * v + g} and {@code g = nesterov ? g + momentum * v : v};
     * then {@code param -= lr * g}. {@code velocity} may be null when {@code momentum == 0}.
     *
     * <p>{@code guard} (null: none) is a {@link GradientStats} tensor from {@link #gradientStats}: each gradient is
     * multiplied by its clipping factor first (a factor of 1 changes nothing, bit for bit), and when it flags a
     * non-finite gradient the update changes nothing at all (parameters and velocity), read on the device.
     */
    void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, boolean nesterov,
                   float weightDecay, Tensor guard);

    /**
     * Adam / AdamW, PyTorch semantics, {@code step} counting from 1. Adam adds {@code weightDecay * param} to the
     * gradient; AdamW ({@code decoupled}) multiplies {@code param} by {@code 1 - lr * weightDecay} first.
     *
     * <p>{@code guard} (null: none) as in {@link #sgdUpdate}; under a guard the bias correction uses step
     * {@code step - skipped} (the updates applied: {@code step} counts calls, skipped ones included).
     */
    void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                    float weightDecay, boolean decoupled, int step, Tensor guard);

    /**
     * {@link #sgdUpdate} that also writes the updated parameters, rounded to bf16, into {@code copy} (BF16, the size of
     * {@code param}; null: none): a trainer's bf16 weight copy kept in step by the update itself. A skipped (guarded)
     * update leaves both alone. Default: the update, then {@link #castToBf16}; a GPU backend does both in one kernel.
     */
    default void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, boolean nesterov,
                           float weightDecay, Tensor guard, Tensor copy) {
        sgdUpdate(param, grad, velocity, lr, momentum, nesterov, weightDecay, guard);
        if (copy != null) {
            castToBf16(param, copy);
        }
    }

    /** {@link #adamUpdate} writing the bf16 {@code copy} too, as {@link #sgdUpdate(Tensor, Tensor, Tensor, float, float, boolean, float, Tensor, Tensor)}. */
    default void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                            float weightDecay, boolean decoupled, int step, Tensor guard, Tensor copy) {
        adamUpdate(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step, guard);
        if (copy != null) {
            castToBf16(param, copy);
        }
    }

    // ---- casts ----------------------------------------------------------------------------------------------

    /** FLOAT32 to BF16 with round-to-nearest-even (NaN stays NaN). */
    void castToBf16(Tensor src, Tensor dst);

    /** BF16 to FLOAT32 (exact). */
    void castFromBf16(Tensor src, Tensor dst);

    // ---- ordering, timing and companions across replicas ----------------------------------------------------
    // Defaults for a backend whose ops have finished when they return (the host); a GPU backend overrides them all.
    // They are plumbing for the parallel strategies, not ops: the conformance suite does not count them.

    /**
     * A new event on this backend's device, to order another backend's later work after work queued here (see
     * {@link StreamEvent}); the caller closes it. Default: {@link StreamEvent#none()}, since host ops are done when
     * they return.
     */
    default StreamEvent newEvent() {
        return StreamEvent.none();
    }

    /**
     * Whether to replay the repeated work of training steps as graphs (CUDA graphs on a GPU backend, exact: a graph is
     * launched only where a step queues exactly the ops it holds, see {@code --cuda-graphs}); call before the first
     * step. Default: nothing to replay (host backends run each op as it is called).
     */
    default void useStepGraphs(boolean on) {}

    /** The start of one training step's work on this backend, for {@link #useStepGraphs}; nothing by default. */
    default void beginStep() {}

    /** The end of one training step's work on this backend, for {@link #useStepGraphs}; nothing by default. */
    default void endStep() {}

    /** One line on what {@link #useStepGraphs} replays, for {@code --verbose}; empty where there is nothing to say. */
    default String stepGraphReport() { return ""; }

    /**
     * A new {@link UploadQueue} for inputs prefetched beside this backend's compute (on a GPU, a copy stream of its
     * own); the caller closes it. Default: {@link UploadQueue#inline}, uploads through this backend in its order.
     */
    default UploadQueue newUploadQueue() {
        return UploadQueue.inline(this);
    }

    /**
     * A new {@link Timeline} of this backend's own time (on a GPU, its stream's), on which a {@link StepClock} measures
     * a replica's steps; the caller closes it. Default: {@link Timeline#host()}, {@link System#nanoTime()}.
     */
    default Timeline newTimeline() {
        return Timeline.host();
    }

    /**
     * A new backend on {@code device} configured like this one, for state a strategy keeps next to the replicas (a
     * Hogwild server on replica 0's GPU, a worker's handle on the server's GPU); the caller closes it. Default: the
     * provider's backend for {@code device} with one CPU thread. A CUDA backend gives a CUDA device a backend of its
     * own precision and kernels.
     *
     * <pre>{@code
     * try (Backend server = replica0.backend().like(replica0.backend().device())) { ... }
     * }</pre>
     */
    default Backend like(Device device) {
        return BackendProvider.of(device.kind()).create(device, 1);
    }

    /** Frees what the backend itself holds (thread pools, handles, streams); tensors are closed by their owners. */
    @Override
    void close();
}
