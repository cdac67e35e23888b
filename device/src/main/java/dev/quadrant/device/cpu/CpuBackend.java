package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

import dev.quadrant.bindings.OpenBlas;
import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.GradientStats;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.OpChecks;
import dev.quadrant.device.checks.TensorChecks;

/**
 * The {@link Backend} on the host: OpenBLAS for {@link #gemm}, Java loops over direct buffers for everything else.
 *
 * <p>One CPU thread budget per backend: {@code new CpuBackend(threads)} runs its loops on a {@link CpuPool} of
 * {@code threads - 1} parked daemon workers ({@code quadrant-cpu-N}) plus the calling thread, and its GEMMs on the
 * same pool, each part a single-threaded OpenBLAS call ({@code CpuGemm} says why OpenBLAS is set to one thread).
 * Loops and GEMMs of one backend never overlap, because every op returns only when it is done; so the two never
 * compete for the budget. A loop goes parallel only from {@link #GRAIN} elements per thread
 * ({@link #GRAIN_EXP} for loops that call {@code exp}); smaller work runs inline on the caller. OpenBLAS's thread
 * count is a process-wide setting; every backend sets it to 1, so replicas in one JVM never oversubscribe it.
 *
 * <p>Every op is synchronous ({@link #synchronize()} has nothing to wait for). Numerics are documented on the loop
 * classes ({@code ActivationLoops}, {@code RowLoops}, {@code ReductionLoops}, {@code OptimizerLoops},
 * {@code SequenceLoops}, {@code LayerNormLoops}, {@link Bf16}); the sequence-model ops live in
 * {@code CpuSequenceOps}, which also says how {@link #gemmBatched} shares the thread budget with OpenBLAS, and the
 * image ops in {@code CpuImageOps} ({@code ImageLoops}), the batch-normalisation ops in {@code CpuBatchNormOps}
 * ({@code BatchNormLoops}).
 * Tensors must be CPU tensors from a live storage; wrong dtypes, shapes, devices and partly overlapping arguments
 * throw {@link IllegalArgumentException} with the op, the argument, the value seen and the one expected.
 *
 * <p>Thread-safety: as every backend, one replica thread at a time. {@link #close()} stops the pool; later ops throw
 * {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (CpuBackend be = new CpuBackend(2);
 *      Tensor x = be.allocate(DType.FLOAT32, 256, 784); Tensor w = be.allocate(DType.FLOAT32, 1024, 784);
 *      Tensor y = be.allocate(DType.FLOAT32, 256, 1024)) {
 *     be.gemm(false, true, 1f, x, w, 0f, y);   // y = x w^T
 *     be.activationForward(Activation.RELU, y, y);
 *     FloatBuffer host = CpuBackend.floats(y); // element i of y is host.get((int) y.offset() + i)
 * }
 * }</pre>
 */
public final class CpuBackend implements Backend {
    /**
     * Elements per thread below which a cheap loop (a few flops per element) is not split: a hand-off to a parked
     * worker costs about 10-50 us, the time of ~32K cheap elements. Measured with {@code CpuLoopBench}.
     */
    public static final int GRAIN = 32_768;
    /** As {@link #GRAIN}, for loops that call {@code exp} once per element (tanh, GELU, softmax). */
    public static final int GRAIN_EXP = 4_096;

    private final Device device;
    private final int threads;
    private final CpuBlas blas;
    private final CpuPool pool;
    private final CpuSequenceOps sequence;
    private final CpuImageOps image;
    private final CpuConvOps conv;
    private final CpuBatchNormOps batchNorm;
    private volatile boolean closed;

    /** A backend on {@code cpu:0} with a budget of {@code threads} CPU threads (caller included). */
    public CpuBackend(int threads) {
        this(Device.cpu(), threads);
    }

    /**
     * A backend on {@code device}, which must be {@code cpu:0}, with a budget of {@code threads} CPU threads, its
     * GEMMs on the library {@code -Dquadrant.cpu.gemm} picks ({@link CpuBlas#choose()}).
     */
    public CpuBackend(Device device, int threads) {
        this(device, threads, CpuBlas.choose());
    }

    /** A backend on {@code device} ({@code cpu:0}) with {@code threads} CPU threads and its GEMMs on {@code blas}. */
    public CpuBackend(Device device, int threads, CpuBlas blas) {
        if (!device.equals(Device.cpu())) {
            throw new UserInputException("device " + device + ": the CPU backend runs on cpu:0 only");
        }
        if (threads < 1) {
            throw new UserInputException("CPU threads: got " + threads + ", expected at least 1");
        }
        this.device = device;
        this.threads = threads;
        blas.load();
        this.blas = blas;
        OpenBlas.setThreads(1);   // the pool splits GEMMs itself, see CpuGemm
        this.pool = new CpuPool(threads, "quadrant-cpu-");
        this.sequence = new CpuSequenceOps(this, pool);
        this.image = new CpuImageOps(this, pool);
        this.conv = new CpuConvOps(this, pool);
        this.batchNorm = new CpuBatchNormOps(this, pool);
    }

    /**
     * The float32 view of the whole storage behind a CPU tensor; element {@code i} of {@code t} is at
     * {@code (int) t.offset() + i}. For host code that works on CPU tensors directly (communicators, tests).
     */
    public static FloatBuffer floats(Tensor t) {
        return cpuStorage(t, DType.FLOAT32).floats();
    }

    /** The int32 view of the whole storage behind a CPU INT32 tensor; see {@link #floats}. */
    public static IntBuffer ints(Tensor t) {
        return cpuStorage(t, DType.INT32).ints();
    }

    /** The bf16 (16-bit pattern) view of the whole storage behind a CPU BF16 tensor; see {@link #floats}. */
    public static ShortBuffer shorts(Tensor t) {
        return cpuStorage(t, DType.BF16).shorts();
    }

    private static CpuStorage cpuStorage(Tensor t, DType dtype) {
        return Checks.storage("CpuBackend." + dtype.name().toLowerCase(java.util.Locale.ROOT) + "s", "tensor", t,
                dtype, Device.cpu());
    }

    /** The CPU thread budget. */
    public int threads() {
        return threads;
    }

    /** The library of this backend's GEMMs. */
    public CpuBlas blas() {
        return blas;
    }

    /** The loop pool (for tests). */
    CpuPool pool() {
        return pool;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public String describe() {
        return "cpu (" + blas.describe() + ", " + threads + (threads == 1 ? " thread)" : " threads)");
    }

    // ---- memory -----------------------------------------------------------------------------------------

    @Override
    public Tensor allocate(DType dtype, int... shape) {
        open();
        if (dtype == null) {
            throw new IllegalArgumentException("allocate: dtype is null");
        }
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("allocate: negative dimension in shape " + java.util.Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return Tensor.root(CpuStorage.allocate(device, Math.multiplyExact(n, dtype.bytes())), dtype, shape);
    }

    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        FloatBuffer d = f("upload", "dst", dst);
        TensorChecks.hostRange("upload", "src", src.length, srcOffset, dst.size());
        d.put(off(dst), src, srcOffset, dst.intSize());
    }

    @Override
    public void upload(int[] src, int srcOffset, Tensor dst) {
        IntBuffer d = i("upload", "dst", dst);
        TensorChecks.hostRange("upload", "src", src.length, srcOffset, dst.size());
        d.put(off(dst), src, srcOffset, dst.intSize());
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        FloatBuffer s = f("download", "src", src);
        TensorChecks.hostRange("download", "dst", dst.length, dstOffset, src.size());
        s.get(off(src), dst, dstOffset, src.intSize());
    }

    @Override
    public void download(Tensor src, int[] dst, int dstOffset) {
        IntBuffer s = i("download", "src", src);
        TensorChecks.hostRange("download", "dst", dst.length, dstOffset, src.size());
        s.get(off(src), dst, dstOffset, src.intSize());
    }

    @Override
    public void synchronize() {
        open();
    }

    // ---- BLAS-like ----------------------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        if (a.dtype() == DType.BF16 || b.dtype() == DType.BF16) {   // widened exactly (nothing here keeps bf16 weights)
            try (Tensor a32 = widened(a); Tensor b32 = widened(b)) {
                gemm(transA, transB, alpha, a32 == null ? a : a32, b32 == null ? b : b32, beta, c);
            }
            return;
        }
        String op = OpChecks.gemmName("gemm", transA, transB);
        FloatBuffer ab = f(op, "a", a);
        FloatBuffer bb = f(op, "b", b);
        FloatBuffer cb = f(op, "c", c);
        int[] mnk = OpChecks.gemm(transA, transB, a, b, c);
        int m = mnk[0];
        int n = mnk[1];
        int k = mnk[2];
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {   // c = beta * c; OpenBLAS would reject the zero leading dimension of a [m, 0] matrix
            scaleOrZero(cb, off(c), c.intSize(), beta);
            return;
        }
        CpuGemm.sgemm(pool, blas, transA, transB, m, n, k, alpha, ab, a.offset(), a.dim(1), bb, b.offset(), b.dim(1),
                beta, cb, c.offset(), n);
    }

    /** A FLOAT32 copy of a BF16 tensor of the same shape, or null for any other. */
    private Tensor widened(Tensor t) {
        if (t.dtype() != DType.BF16) {
            return null;
        }
        Tensor w = allocate(DType.FLOAT32, t.shape());
        castFromBf16(t, w);
        return w;
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        FloatBuffer xb = f("axpy", "x", x);
        FloatBuffer yb = f("axpy", "y", y);
        OpChecks.axpy(x, y);
        int xo = off(x);
        int yo = off(y);
        pool.parallelFor(x.intSize(), GRAIN, (p, from, to) -> ElementwiseLoops.axpy(alpha, xb, xo, yb, yo, from, to));
    }

    @Override
    public void scale(Tensor x, float alpha) {
        FloatBuffer xb = f("scale", "x", x);
        int xo = off(x);
        pool.parallelFor(x.intSize(), GRAIN, (p, from, to) -> ElementwiseLoops.scale(xb, xo, alpha, from, to));
    }

    @Override
    public void fill(Tensor x, float value) {
        FloatBuffer xb = f("fill", "x", x);
        int xo = off(x);
        pool.parallelFor(x.intSize(), GRAIN, (p, from, to) -> ElementwiseLoops.fill(xb, xo, value, from, to));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuStorage s = Checks.storage("copy", "src", src, null, device);
        open();
        CpuStorage d = Checks.storage("copy", "dst", dst, src.dtype(), device);
        OpChecks.copy(src, dst);
        if (src.storage() == dst.storage() && src.offset() == dst.offset()) {
            return;
        }
        int so = off(src);
        int dO = off(dst);
        switch (src.dtype()) {
            case FLOAT32 -> pool.parallelFor(src.intSize(), GRAIN,
                    (p, from, to) -> ElementwiseLoops.copyFloats(s.floats(), so, d.floats(), dO, from, to));
            case INT32 -> pool.parallelFor(src.intSize(), GRAIN,
                    (p, from, to) -> ElementwiseLoops.copyInts(s.ints(), so, d.ints(), dO, from, to));
            case BF16 -> pool.parallelFor(src.intSize(), GRAIN,
                    (p, from, to) -> ElementwiseLoops.copyShorts(s.shorts(), so, d.shorts(), dO, from, to));
            default -> throw new IllegalArgumentException("copy: unsupported dtype " + src.dtype());
        }
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        FloatBuffer ab = f("mul", "a", a);
        FloatBuffer bb = f("mul", "b", b);
        FloatBuffer ob = f("mul", "out", out);
        OpChecks.mul(a, b, out);
        int ao = off(a);
        int bo = off(b);
        int oo = off(out);
        pool.parallelFor(a.intSize(), GRAIN, (p, from, to) -> ElementwiseLoops.mul(ab, ao, bb, bo, ob, oo, from, to));
    }

    // ---- layers -------------------------------------------------------------------------------------------

    @Override
    public void addBias(Tensor x, Tensor bias) {
        FloatBuffer xb = f("addBias", "x", x);
        FloatBuffer bb = f("addBias", "bias", bias);
        int n = OpChecks.addBias(x, bias);
        int xo = off(x);
        int bo = off(bias);
        pool.parallelFor(x.dim(0), rowGrain(GRAIN, n),
                (p, from, to) -> ElementwiseLoops.addBias(xb, xo, bb, bo, n, from, to));
    }

    @Override
    public void columnSums(Tensor x, float beta, Tensor out) {
        FloatBuffer xb = f("columnSums", "x", x);
        FloatBuffer ob = f("columnSums", "out", out);
        OpChecks.columnSums(x, out);
        int rows = x.dim(0);
        int cols = x.dim(1);
        int xo = off(x);
        int oo = off(out);
        if (cols <= ReductionLoops.NARROW) {
            // Fixed blocks of rows (a function of cols only), each summed into its own slot, the slots added in block
            // order: the same result for any thread count, and every thread reads only its own rows.
            int blockRows = Math.max(1, CpuBatchNormOps.BLOCK_ELEMENTS / Math.max(1, cols));
            int blocks = (rows + blockRows - 1) / blockRows;
            double[] partial = new double[blocks * cols];
            pool.parallelFor(blocks, rowGrain(GRAIN, blockRows * cols), (p, from, to) -> {
                for (int b = from; b < to; b++) {
                    double[] acc = new double[cols];
                    ReductionLoops.narrowColumnSums(xb, xo, cols, b * blockRows, Math.min(rows, (b + 1) * blockRows),
                            acc);
                    System.arraycopy(acc, 0, partial, b * cols, cols);
                }
            });
            double[] total = new double[cols];
            for (int b = 0; b < blocks; b++) {
                for (int j = 0; j < cols; j++) {
                    total[j] += partial[b * cols + j];
                }
            }
            ReductionLoops.finishColumnSums(total, cols, beta, ob, oo);
            return;
        }
        // Split by columns: each thread owns whole column sums, no merge, same result for any thread count.
        pool.parallelFor(cols, rowGrain(GRAIN, rows),
                (p, from, to) -> ReductionLoops.columnSums(xb, xo, rows, cols, beta, ob, oo, from, to));
    }

    @Override
    public void activationForward(Activation fn, Tensor x, Tensor y) {
        FloatBuffer xb = f("activationForward", "x", x);
        FloatBuffer yb = f("activationForward", "y", y);
        OpChecks.activationForward(x, y);
        int xo = off(x);
        int yo = off(y);
        pool.parallelFor(x.intSize(), fn == Activation.RELU ? GRAIN : GRAIN_EXP,
                (p, from, to) -> ActivationLoops.forward(fn, xb, xo, yb, yo, from, to));
    }

    @Override
    public void activationBackward(Activation fn, Tensor x, Tensor dy, Tensor dx) {
        String op = "activationBackward";
        FloatBuffer xb = f(op, "x", x);
        FloatBuffer dyb = f(op, "dy", dy);
        FloatBuffer dxb = f(op, "dx", dx);
        OpChecks.activationBackward(x, dy, dx);
        int xo = off(x);
        int dyo = off(dy);
        int dxo = off(dx);
        if (fn == Activation.RELU) {   // on the float bits, see ActivationLoops.reluBackward
            IntBuffer xi = ((CpuStorage) x.storage()).ints();
            IntBuffer dyi = ((CpuStorage) dy.storage()).ints();
            IntBuffer dxi = ((CpuStorage) dx.storage()).ints();
            pool.parallelFor(x.intSize(), GRAIN,
                    (p, from, to) -> ActivationLoops.reluBackward(xi, xo, dyi, dyo, dxi, dxo, from, to));
            return;
        }
        pool.parallelFor(x.intSize(), GRAIN_EXP,
                (p, from, to) -> ActivationLoops.backward(fn, xb, xo, dyb, dyo, dxb, dxo, from, to));
    }

    @Override
    public void dropoutMask(Tensor mask, float p, long seed, long firstIndex) {
        FloatBuffer mb = f("dropoutMask", "mask", mask);
        OpChecks.dropoutMask(p);
        float keep = (float) (1.0 / (1.0 - p));
        int mo = off(mask);
        pool.parallelFor(mask.intSize(), GRAIN_EXP,
                (part, from, to) -> ElementwiseLoops.dropoutMask(mb, mo, p, keep, seed, firstIndex, from, to));
    }

    // ---- sequence models (in CpuSequenceOps) -----------------------------------------------------------------

    @Override
    public void gemmBatched(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        sequence.gemmBatched(transA, transB, alpha, a, b, beta, c);
    }

    @Override
    public void embeddingForward(Tensor table, Tensor ids, Tensor out) {
        sequence.embeddingForward(table, ids, out);
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        sequence.embeddingBackward(ids, dOut, dTable);
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        sequence.layerNormForward(x, gamma, beta, eps, y, mean, rstd);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma,
                                  Tensor dBeta) {
        sequence.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
    }

    @Override
    public void causalSoftmaxForward(Tensor scores, Tensor probs) {
        sequence.causalSoftmaxForward(scores, probs);
    }

    @Override
    public void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores) {
        sequence.causalSoftmaxBackward(probs, dProbs, dScores);
    }

    @Override
    public void permute(Tensor x, int[] perm, Tensor y) {
        sequence.permute(x, perm, y);
    }

    // ---- images (in CpuImageOps) ----------------------------------------------------------------------------------

    @Override
    public void im2col(Tensor x, Window2d w, Tensor col) {
        image.im2col(x, w, col);
    }

    @Override
    public void col2im(Tensor col, Window2d w, Tensor dx) {
        image.col2im(col, w, dx);
    }

    /** False: the convolution unfolds a few images at a time into tiles of its own ({@code CpuConvOps}). */
    @Override
    public boolean convolutionUsesColumns() { return false; }

    /** A few images at a time in cache, {@code col} untouched ({@code CpuConvOps}). */
    @Override
    public void conv2dForward(Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y) {
        conv.forward(x, w, weight, bias, col, y);
    }

    /** Recomputes each chunk's columns ({@code CpuConvOps}); {@code col} and {@code dcol} untouched. */
    @Override
    public void conv2dBackward(Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol,
                               Tensor dWeight, Tensor dBias, Tensor dx) {
        conv.backward(x, dy, w, weight, col, dcol, dWeight, dBias, dx);
    }

    @Override
    public void maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax) {
        image.maxPool2dForward(x, w, y, argmax);
    }

    @Override
    public void maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx) {
        image.maxPool2dBackward(dy, argmax, w, dx);
    }

    @Override
    public void avgPool2dForward(Tensor x, Window2d w, Tensor y) {
        image.avgPool2dForward(x, w, y);
    }

    @Override
    public void avgPool2dBackward(Tensor dy, Window2d w, Tensor dx) {
        image.avgPool2dBackward(dy, w, dx);
    }

    // ---- batch normalisation (in CpuBatchNormOps) -----------------------------------------------------------

    @Override
    public void centeredSquareSums(Tensor x, Tensor sum, float count, Tensor out) {
        batchNorm.centeredSquareSums(x, sum, count, out);
    }

    @Override
    public void batchNormForward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma, Tensor beta,
                                 Tensor y) {
        batchNorm.batchNormForward(x, sum, sqSum, count, eps, gamma, beta, y);
    }

    @Override
    public void batchNormRunningUpdate(Tensor sum, Tensor sqSum, float count, float momentum, Tensor runningMean,
                                       Tensor runningVar) {
        batchNorm.batchNormRunningUpdate(sum, sqSum, count, momentum, runningMean, runningVar);
    }

    @Override
    public void batchNormBackwardSums(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor dy,
                                      Tensor sums) {
        batchNorm.batchNormBackwardSums(x, sum, sqSum, count, eps, dy, sums);
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma,
                                  Tensor sums, Tensor dy, Tensor dx) {
        batchNorm.batchNormBackward(x, sum, sqSum, count, eps, gamma, sums, dy, dx);
    }

    // ---- losses and metrics -------------------------------------------------------------------------------

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor losses) {
        String op = "softmaxCrossEntropyForward";
        FloatBuffer lb = f(op, "logits", logits);
        IntBuffer yb = i(op, "labels", labels);
        FloatBuffer ob = f(op, "losses", losses);
        int cols = OpChecks.softmaxCrossEntropyForward(logits, labels, losses);
        int rows = logits.dim(0);
        int lo = off(logits);
        int yo = off(labels);
        int oo = off(losses);
        pool.parallelFor(rows, rowGrain(GRAIN_EXP, cols),
                (p, from, to) -> RowLoops.softmaxCrossEntropyForward(lb, lo, cols, yb, yo, ob, oo, from, to));
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, float scale, Tensor dLogits) {
        String op = "softmaxCrossEntropyBackward";
        FloatBuffer lb = f(op, "logits", logits);
        IntBuffer yb = i(op, "labels", labels);
        FloatBuffer db = f(op, "dLogits", dLogits);
        int cols = OpChecks.softmaxCrossEntropyBackward(logits, labels, dLogits);
        int rows = logits.dim(0);
        int lo = off(logits);
        int yo = off(labels);
        int dO = off(dLogits);
        pool.parallelFor(rows, rowGrain(GRAIN_EXP, cols),
                (p, from, to) -> RowLoops.softmaxCrossEntropyBackward(lb, lo, cols, yb, yo, scale, db, dO, from, to));
    }

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor losses) {
        String op = "mseForward";
        FloatBuffer pb = f(op, "pred", pred);
        FloatBuffer tb = f(op, "target", target);
        FloatBuffer ob = f(op, "losses", losses);
        OpChecks.mseForward(pred, target, losses);
        int rows = pred.dim(0);
        int cols = pred.dim(1);
        int po = off(pred);
        int to = off(target);
        int oo = off(losses);
        pool.parallelFor(rows, rowGrain(GRAIN, cols),
                (p, from, toRow) -> RowLoops.mseForward(pb, po, tb, to, cols, ob, oo, from, toRow));
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, float scale, Tensor dPred) {
        String op = "mseBackward";
        FloatBuffer pb = f(op, "pred", pred);
        FloatBuffer tb = f(op, "target", target);
        FloatBuffer db = f(op, "dPred", dPred);
        OpChecks.mseBackward(pred, target, dPred);
        int cols = pred.dim(1);
        int po = off(pred);
        int to = off(target);
        int dO = off(dPred);
        pool.parallelFor(pred.intSize(), GRAIN,
                (p, from, toIndex) -> RowLoops.mseBackward(pb, po, tb, to, cols, scale, db, dO, from, toIndex));
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        FloatBuffer xb = f("argmax", "x", x);
        IntBuffer ob = i("argmax", "out", out);
        int cols = OpChecks.argmax(x, out);
        int rows = x.dim(0);
        int xo = off(x);
        int oo = off(out);
        pool.parallelFor(rows, rowGrain(GRAIN, cols), (p, from, to) -> RowLoops.argmax(xb, xo, cols, ob, oo, from, to));
    }

    @Override
    public void countCorrect(Tensor logits, Tensor labels, Tensor acc) {
        String op = "countCorrect";
        FloatBuffer lb = f(op, "logits", logits);
        IntBuffer yb = i(op, "labels", labels);
        FloatBuffer ab = f(op, "acc", acc);
        int cols = OpChecks.countCorrect(logits, labels, acc);
        int rows = logits.dim(0);
        int lo = off(logits);
        int yo = off(labels);
        int grain = rowGrain(GRAIN, cols);
        int[] partial = new int[pool.parts(rows, grain)];
        pool.parallelFor(rows, grain, (p, from, to) -> partial[p] = RowLoops.countCorrect(lb, lo, cols, yb, yo, from, to));
        long count = 0;
        for (int c : partial) {
            count += c;
        }
        int ao = off(acc);
        ab.put(ao, (float) (ab.get(ao) + (double) count));
    }

    @Override
    public void sumInto(Tensor x, Tensor acc) {
        FloatBuffer xb = f("sumInto", "x", x);
        FloatBuffer ab = f("sumInto", "acc", acc);
        OpChecks.sumInto(x, acc);
        int ao = off(acc);
        ab.put(ao, (float) (ab.get(ao) + sum(xb, off(x), x.intSize(), false)));
    }

    @Override
    public double l2Norm(Tensor x) {
        return Math.sqrt(sum(f("l2Norm", "x", x), off(x), x.intSize(), true));
    }

    private double sum(FloatBuffer xb, int xo, int n, boolean squares) {
        double[] partial = new double[pool.parts(n, GRAIN)];
        pool.parallelFor(n, GRAIN, (p, from, to) -> partial[p] = squares
                ? ReductionLoops.sumOfSquares(xb, xo, from, to) : ReductionLoops.sum(xb, xo, from, to));
        double s = 0;
        for (double d : partial) {
            s += d;
        }
        return s;
    }

    @Override
    public boolean allFinite(Tensor x) {
        CpuStorage s = Checks.storage("allFinite", "x", x, DType.FLOAT32, device);
        open();
        IntBuffer bits = s.ints();
        int xo = off(x);
        int n = x.intSize();
        boolean[] partial = new boolean[pool.parts(n, GRAIN)];
        pool.parallelFor(n, GRAIN, (p, from, to) -> partial[p] = ReductionLoops.allFinite(bits, xo, from, to));
        for (boolean ok : partial) {
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void gradientStats(Tensor grad, float maxNorm, long step, Tensor stats) {
        FloatBuffer sb = f("gradientStats", "stats", stats);
        CpuStorage gs = Checks.storage("gradientStats", "grad", grad, DType.FLOAT32, device);
        OpChecks.gradientStats(grad, step, stats);
        int go = off(grad);
        int n = grad.intSize();
        // clipping needs the norm (the sum l2Norm forms, bit for bit); without it the int OR-reduction of allFinite
        // answers the one question left, 2x faster than the double sum of squares over every gradient (W1)
        boolean clips = maxNorm > 0;
        double norm = clips ? Math.sqrt(sum(gs.floats(), go, n, true)) : Double.NaN;
        long first = -1;
        if (clips ? !Double.isFinite(norm) : !allFinite(grad)) {   // finite squares cannot overflow the sum
            IntBuffer bits = gs.ints();
            int[] firstBad = new int[pool.parts(n, GRAIN)];
            pool.parallelFor(n, GRAIN, (p, from, to) -> firstBad[p] = ReductionLoops.firstNonFinite(bits, go, from,
                    to));
            for (int b : firstBad) {   // parts are in index order: the first one found is the minimum
                if (b >= 0) {
                    first = b;
                    break;
                }
            }
        }
        int so = off(stats);
        sb.put(so + GradientStats.NORM, (float) norm);
        sb.put(so + GradientStats.NON_FINITE, first >= 0 ? 1f : 0f);
        sb.put(so + GradientStats.FACTOR, GradientStats.factor(norm, maxNorm));
        if (first >= 0) {
            if (sb.get(so + GradientStats.SKIPPED) == 0f) {
                sb.put(so + GradientStats.FIRST_STEP, GradientStats.high(step));
                sb.put(so + GradientStats.FIRST_STEP + 1, GradientStats.low(step));
                sb.put(so + GradientStats.FIRST_INDEX, GradientStats.high(first));
                sb.put(so + GradientStats.FIRST_INDEX + 1, GradientStats.low(first));
            }
            sb.put(so + GradientStats.SKIPPED, sb.get(so + GradientStats.SKIPPED) + 1f);
        }
    }

    @Override
    public void sumFiniteInto(Tensor x, float terms, Tensor acc) {
        FloatBuffer ab = f("sumFiniteInto", "acc", acc);
        f("sumFiniteInto", "x", x);
        OpChecks.sumFiniteInto(x, terms, acc);
        if (allFinite(x)) {
            FloatBuffer xb = f("sumFiniteInto", "x", x);
            int ao = off(acc);
            ab.put(ao, (float) (ab.get(ao) + sum(xb, off(x), x.intSize(), false)));
            ab.put(ao + 1, ab.get(ao + 1) + terms);
        }
    }

    /**
     * A guarded update's {@code {nonFinite, factor, skipped}} read from the guard (host memory here: no
     * synchronisation), or {@code {0, 1, 0}} without one.
     */
    private float[] guardOf(String op, Tensor param, Tensor guard) {
        OpChecks.guard(op, param, guard);
        if (guard == null) {
            return new float[] {0f, 1f, 0f};
        }
        FloatBuffer gb = f(op, "guard", guard);
        int o = off(guard);
        return new float[] {gb.get(o + GradientStats.NON_FINITE), gb.get(o + GradientStats.FACTOR),
                gb.get(o + GradientStats.SKIPPED)};
    }

    // ---- optimizer updates --------------------------------------------------------------------------------

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, boolean nesterov,
                          float weightDecay, Tensor guard) {
        String op = "sgdUpdate";
        FloatBuffer pb = f(op, "param", param);
        FloatBuffer gb = f(op, "grad", grad);
        boolean withVelocity = OpChecks.sgdUpdate(param, grad, velocity, momentum);
        float[] gd = guardOf(op, param, guard);
        if (gd[0] != 0f) {
            return;
        }
        float factor = gd[1];
        int po = off(param);
        int go = off(grad);
        int n = param.intSize();
        if (!withVelocity) {
            pool.parallelFor(n, GRAIN, (p, from, to) -> OptimizerLoops.sgd(pb, po, gb, go, factor, lr, weightDecay,
                    from, to));
            return;
        }
        FloatBuffer vb = f(op, "velocity", velocity);
        int vo = off(velocity);
        pool.parallelFor(n, GRAIN, (p, from, to) -> OptimizerLoops.sgdMomentum(pb, po, gb, go, factor, vb, vo, lr,
                momentum, nesterov, weightDecay, from, to));
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                           float weightDecay, boolean decoupled, int calls, Tensor guard) {
        String op = "adamUpdate";
        FloatBuffer pb = f(op, "param", param);
        FloatBuffer gb = f(op, "grad", grad);
        FloatBuffer mb = f(op, "m", m);
        FloatBuffer vb = f(op, "v", v);
        OpChecks.adamUpdate(param, grad, m, v, calls);
        float[] gd = guardOf(op, param, guard);
        if (gd[0] != 0f) {
            return;
        }
        float factor = gd[1];
        int step = calls - (int) gd[2];   // the updates applied, this one included
        OpChecks.adamUpdate(param, grad, m, v, step);
        float decay = decoupled ? (float) (1.0 - (double) lr * weightDecay) : 1f;
        float wdGrad = decoupled ? 0f : weightDecay;
        float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
        float invBc2Sqrt = (float) (1.0 / Math.sqrt(1.0 - Math.pow(beta2, step)));
        int po = off(param);
        int go = off(grad);
        int mo = off(m);
        int vo = off(v);
        pool.parallelFor(param.intSize(), GRAIN, (p, from, to) -> OptimizerLoops.adam(pb, po, gb, go, factor, mb, mo, vb, vo,
                decay, wdGrad, beta1, beta2, eps, stepSize, invBc2Sqrt, from, to));
    }

    // ---- casts ----------------------------------------------------------------------------------------------

    @Override
    public void castToBf16(Tensor src, Tensor dst) {
        FloatBuffer sb = f("castToBf16", "src", src);
        CpuStorage d = Checks.storage("castToBf16", "dst", dst, DType.BF16, device);
        OpChecks.cast("castToBf16", src, dst);
        ShortBuffer db = d.shorts();
        int so = off(src);
        int dO = off(dst);
        pool.parallelFor(src.intSize(), GRAIN, (p, from, to) -> ElementwiseLoops.castToBf16(sb, so, db, dO, from, to));
    }

    @Override
    public void castFromBf16(Tensor src, Tensor dst) {
        CpuStorage s = Checks.storage("castFromBf16", "src", src, DType.BF16, device);
        FloatBuffer db = f("castFromBf16", "dst", dst);
        OpChecks.cast("castFromBf16", src, dst);
        ShortBuffer sb = s.shorts();
        int so = off(src);
        int dO = off(dst);
        pool.parallelFor(src.intSize(), GRAIN, (p, from, to) -> ElementwiseLoops.castFromBf16(sb, so, db, dO, from, to));
    }

    /** Stops the loop pool (joins its workers); idempotent. Tensors stay valid and are closed by their owners. */
    @Override
    public void close() {
        closed = true;
        pool.close();
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private void open() {
        if (closed) {
            throw new IllegalStateException("this CpuBackend was closed");
        }
    }

    /** {@code c = beta * c} over n elements, zeros when {@code beta == 0} (c is then not read): a GEMM with k = 0. */
    void scaleOrZero(FloatBuffer cb, int co, int n, float beta) {
        pool.parallelFor(n, GRAIN, (p, from, to) -> {
            if (beta == 0f) {
                ElementwiseLoops.fill(cb, co, 0f, from, to);
            } else {
                ElementwiseLoops.scale(cb, co, beta, from, to);
            }
        });
    }

    FloatBuffer f(String op, String name, Tensor t) {
        open();
        return Checks.storage(op, name, t, DType.FLOAT32, device).floats();
    }

    IntBuffer i(String op, String name, Tensor t) {
        open();
        return Checks.storage(op, name, t, DType.INT32, device).ints();
    }

    /** Rows (or columns) per thread so that each thread gets about {@code grain} elements. */
    static int rowGrain(int grain, int elementsPerRow) {
        return Math.max(1, grain / Math.max(1, elementsPerRow));
    }

    /** A tensor's element offset as an int index into its storage's views (storages are below 2 GiB). */
    static int off(Tensor t) {
        return (int) t.offset();
    }
}
