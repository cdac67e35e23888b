package dev.quadrant.device.reference;

import java.util.Arrays;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.GradientStats;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.BatchNormOpChecks;
import dev.quadrant.device.checks.ImageOpChecks;
import dev.quadrant.device.checks.OpChecks;
import dev.quadrant.device.checks.SequenceOpChecks;
import dev.quadrant.device.checks.TensorChecks;

/**
 * The float64 reference {@link Backend}: every op under its own name, computed in double precision by plain loops,
 * for comparisons (conformance suite, GPU self-test, kernel emulator tests) and float64 finite-difference gradient
 * checks of modules. Not for training speed.
 *
 * <p>Storage: FLOAT32 and BF16 tensors hold {@code double}s (a BF16 element is rounded to bf16 whenever it is
 * written), INT32 tensors {@code int}s. {@link #upload(float[], int, Tensor)} widens, {@link #download(Tensor,
 * float[], int)} narrows to float; between the two, values keep double precision, so a chain of ops is a float64
 * computation. {@link #values}, {@link #setValues} and {@link #ints} read and write the doubles themselves.
 *
 * <p>Argument checks are those of every backend ({@link OpChecks}, {@link SequenceOpChecks}, {@link ImageOpChecks},
 * {@link BatchNormOpChecks}): wrong dtypes, shapes, partly overlapping arguments and tensors of another backend throw
 * {@link IllegalArgumentException}. Each op reads
 * copies of its inputs before it writes, so the in-place uses the Backend Javadoc allows come out right. Semantics
 * the Javadoc leaves open are pinned by the op families ({@code ElementwiseOps}, {@code LossOps}, {@code ImageOps},
 * {@code BatchNormOps}).
 *
 * <p>Error bounds: a sum's tolerance scales with the sum of the magnitudes of its terms. {@link #abs} gives them:
 * for a GEMM, {@code (k + 2) eps (|alpha| |A| |B| + |beta| |C|)} is {@code gemm(|alpha|, |a|, |b|, |beta|, |c|)} on
 * absolute copies of the inputs, likewise for {@link #gemmBatched}, {@link #columnSums} and {@link #sumInto}.
 *
 * <p>Thread-safety: single-threaded, like every backend one thread at a time; every op is done when it returns.
 *
 * <pre>{@code
 * try (ReferenceBackend ref = new ReferenceBackend(); Tensor x = ref.allocate(DType.FLOAT32, 2, 3);
 *      Tensor w = ref.allocate(DType.FLOAT32, 4, 3); Tensor y = ref.allocate(DType.FLOAT32, 2, 4)) {
 *     ref.upload(xHost, 0, x);
 *     ref.upload(wHost, 0, w);
 *     ref.gemm(false, true, 1f, x, w, 0f, y);
 *     double[] want = ReferenceBackend.values(y);   // compare a backend's float32 result with these
 * }
 * }</pre>
 */
public final class ReferenceBackend implements Backend {
    private static final DType F32 = DType.FLOAT32;
    private static final DType I32 = DType.INT32;
    private static final DType BF16 = DType.BF16;

    private final Device device = Device.cpu();
    private boolean closed;

    // ---- access to the doubles ---------------------------------------------------------------------------

    /** A copy of the elements of a FLOAT32 or BF16 reference tensor (a view: just its elements), in double. */
    public static double[] values(Tensor t) {
        ReferenceStorage s = storage("values", "t", t);
        requireFloating("values", t);
        int o = Math.toIntExact(t.offset());
        return Arrays.copyOfRange(s.values(), o, o + t.intSize());
    }

    /** A copy of the elements of an INT32 reference tensor. */
    public static int[] ints(Tensor t) {
        ReferenceStorage s = storage("ints", "t", t);
        require("ints", "t", t, I32);
        int o = Math.toIntExact(t.offset());
        return Arrays.copyOfRange(s.ints(), o, o + t.intSize());
    }

    /** Sets the elements of a FLOAT32 (exactly) or BF16 (rounded to bf16) reference tensor. */
    public static void setValues(Tensor t, double[] v) {
        storage("setValues", "t", t);
        requireFloating("setValues", t);
        TensorChecks.hostRange("setValues", "v", v.length, 0, t.size());
        write(t, v);
    }

    /** Element {@code i} of a FLOAT32 or BF16 reference tensor. */
    public static double value(Tensor t, int i) {
        return values(t.slice(i, 1))[0];
    }

    /** Sets element {@code i}: for finite differences, {@code setValue(p, i, value(p, i) + h)}. */
    public static void setValue(Tensor t, int i, double v) {
        setValues(t.slice(i, 1), new double[] {v});
    }

    /** {@code y = |x|} element-wise (FLOAT32), for error bounds; see the class comment. {@code y} may be {@code x}. */
    public void abs(Tensor x, Tensor y) {
        double[] xv = in("abs", "x", x, F32);
        check("abs", "y", y, F32);
        OpChecks.activationForward(x, y);
        write(y, ElementwiseOps.abs(xv));
    }

    // ---- identity and memory --------------------------------------------------------------------------------

    @Override
    public Device device() {
        return device;
    }

    @Override
    public String describe() {
        return "reference (float64)";
    }

    @Override
    public Tensor allocate(DType dtype, int... shape) {
        open();
        if (dtype == null) {
            throw new IllegalArgumentException("allocate: dtype is null");
        }
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("allocate: negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("allocate: " + n + " elements for shape " + Arrays.toString(shape)
                    + ", the reference backend holds at most " + (Integer.MAX_VALUE - 8) + " (one Java array)");
        }
        return Tensor.root(new ReferenceStorage(device, dtype, (int) n), dtype, shape);
    }

    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        check("upload", "dst", dst, F32);
        TensorChecks.hostRange("upload", "src", src.length, srcOffset, dst.size());
        double[] v = new double[dst.intSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = src[srcOffset + i];
        }
        write(dst, v);
    }

    @Override
    public void upload(int[] src, int srcOffset, Tensor dst) {
        ReferenceStorage s = check("upload", "dst", dst, I32);
        TensorChecks.hostRange("upload", "src", src.length, srcOffset, dst.size());
        System.arraycopy(src, srcOffset, s.ints(), off(dst), dst.intSize());
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        double[] v = in("download", "src", src, F32);
        TensorChecks.hostRange("download", "dst", dst.length, dstOffset, src.size());
        for (int i = 0; i < v.length; i++) {
            dst[dstOffset + i] = (float) v[i];
        }
    }

    @Override
    public void download(Tensor src, int[] dst, int dstOffset) {
        ReferenceStorage s = check("download", "src", src, I32);
        TensorChecks.hostRange("download", "dst", dst.length, dstOffset, src.size());
        System.arraycopy(s.ints(), off(src), dst, dstOffset, src.intSize());
    }

    @Override
    public void synchronize() {
        open();
    }

    // ---- BLAS-like ----------------------------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        String op = OpChecks.gemmName("gemm", transA, transB);
        double[] av = in(op, "a", a, a.dtype() == BF16 ? BF16 : F32);   // a BF16 operand holds exact float values
        double[] bv = in(op, "b", b, b.dtype() == BF16 ? BF16 : F32);
        double[] cv = in(op, "c", c, F32);
        int[] mnk = OpChecks.gemm(transA, transB, a, b, c);
        write(c, MatrixOps.gemm(transA, transB, 1, mnk[0], mnk[1], mnk[2], alpha, av, bv, beta, cv));
    }

    @Override
    public void gemmBatched(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        String op = OpChecks.gemmName("gemmBatched", transA, transB);
        double[] av = in(op, "a", a, F32);
        double[] bv = in(op, "b", b, F32);
        double[] cv = in(op, "c", c, F32);
        int[] bmnk = SequenceOpChecks.gemmBatched(transA, transB, a, b, c);
        write(c, MatrixOps.gemm(transA, transB, bmnk[0], bmnk[1], bmnk[2], bmnk[3], alpha, av, bv, beta, cv));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        double[] xv = in("axpy", "x", x, F32);
        double[] yv = in("axpy", "y", y, F32);
        OpChecks.axpy(x, y);
        write(y, ElementwiseOps.axpy(alpha, xv, yv));
    }

    @Override
    public void scale(Tensor x, float alpha) {
        write(x, ElementwiseOps.scale(in("scale", "x", x, F32), alpha));
    }

    @Override
    public void fill(Tensor x, float value) {
        check("fill", "x", x, F32);
        double[] v = new double[x.intSize()];
        Arrays.fill(v, value);
        write(x, v);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        ReferenceStorage s = storage("copy", "src", src);
        open();
        ReferenceStorage d = check("copy", "dst", dst, src.dtype());
        OpChecks.copy(src, dst);
        if (src.dtype() == I32) {
            System.arraycopy(s.ints(), off(src), d.ints(), off(dst), src.intSize());
        } else {
            System.arraycopy(s.values(), off(src), d.values(), off(dst), src.intSize());   // bf16 stays bf16
        }
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        double[] av = in("mul", "a", a, F32);
        double[] bv = in("mul", "b", b, F32);
        check("mul", "out", out, F32);
        OpChecks.mul(a, b, out);
        write(out, ElementwiseOps.mul(av, bv));
    }

    // ---- layers -------------------------------------------------------------------------------------------

    @Override
    public void addBias(Tensor x, Tensor bias) {
        double[] xv = in("addBias", "x", x, F32);
        double[] bv = in("addBias", "bias", bias, F32);
        int n = OpChecks.addBias(x, bias);
        write(x, ElementwiseOps.addBias(xv, n, bv));
    }

    @Override
    public void columnSums(Tensor x, float beta, Tensor out) {
        double[] xv = in("columnSums", "x", x, F32);
        double[] ov = in("columnSums", "out", out, F32);
        OpChecks.columnSums(x, out);
        write(out, ElementwiseOps.columnSums(xv, x.dim(1), beta, ov));
    }

    @Override
    public void activationForward(Activation f, Tensor x, Tensor y) {
        double[] xv = in("activationForward", "x", x, F32);
        check("activationForward", "y", y, F32);
        OpChecks.activationForward(x, y);
        write(y, ElementwiseOps.activationForward(f, xv));
    }

    @Override
    public void activationBackward(Activation f, Tensor x, Tensor dy, Tensor dx) {
        double[] xv = in("activationBackward", "x", x, F32);
        double[] dyv = in("activationBackward", "dy", dy, F32);
        check("activationBackward", "dx", dx, F32);
        OpChecks.activationBackward(x, dy, dx);
        write(dx, ElementwiseOps.activationBackward(f, xv, dyv));
    }

    @Override
    public void dropoutMask(Tensor mask, float p, long seed, long firstIndex) {
        check("dropoutMask", "mask", mask, F32);
        OpChecks.dropoutMask(p);
        write(mask, ElementwiseOps.dropoutMask(mask.intSize(), p, seed, firstIndex));
    }

    // ---- sequence models ------------------------------------------------------------------------------------

    @Override
    public void embeddingForward(Tensor table, Tensor ids, Tensor out) {
        double[] tv = in("embeddingForward", "table", table, F32);
        int[] iv = inInts("embeddingForward", "ids", ids);
        check("embeddingForward", "out", out, F32);
        SequenceOpChecks.embeddingForward(table, ids, out);
        write(out, SequenceOps.embeddingForward(tv, table.dim(0), table.dim(1), iv));
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        int[] iv = inInts("embeddingBackward", "ids", ids);
        double[] dov = in("embeddingBackward", "dOut", dOut, F32);
        double[] dtv = in("embeddingBackward", "dTable", dTable, F32);
        SequenceOpChecks.embeddingBackward(ids, dOut, dTable);
        write(dTable, SequenceOps.embeddingBackward(iv, dov, dTable.dim(1), dtv, dTable.dim(0)));
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        String op = "layerNormForward";
        double[] xv = in(op, "x", x, F32);
        double[] gv = in(op, "gamma", gamma, F32);
        double[] bv = in(op, "beta", beta, F32);
        check(op, "y", y, F32);
        check(op, "mean", mean, F32);
        check(op, "rstd", rstd, F32);
        SequenceOpChecks.layerNormForward(x, gamma, beta, y, mean, rstd);
        double[][] r = SequenceOps.layerNormForward(xv, x.dim(0), x.dim(1), gv, bv, eps);
        write(y, r[0]);
        write(mean, r[1]);
        write(rstd, r[2]);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma,
                                  Tensor dBeta) {
        String op = "layerNormBackward";
        double[] xv = in(op, "x", x, F32);
        double[] gv = in(op, "gamma", gamma, F32);
        double[] mv = in(op, "mean", mean, F32);
        double[] rv = in(op, "rstd", rstd, F32);
        double[] dyv = in(op, "dy", dy, F32);
        check(op, "dx", dx, F32);
        double[] dgv = in(op, "dGamma", dGamma, F32);
        double[] dbv = in(op, "dBeta", dBeta, F32);
        SequenceOpChecks.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
        double[][] r = SequenceOps.layerNormBackward(xv, x.dim(0), x.dim(1), gv, mv, rv, dyv, dgv, dbv);
        write(dx, r[0]);
        write(dGamma, r[1]);
        write(dBeta, r[2]);
    }

    @Override
    public void causalSoftmaxForward(Tensor scores, Tensor probs) {
        double[] sv = in("causalSoftmaxForward", "scores", scores, F32);
        check("causalSoftmaxForward", "probs", probs, F32);
        SequenceOpChecks.causalSoftmaxForward(scores, probs);
        write(probs, SequenceOps.causalSoftmaxForward(sv, scores.dim(0), scores.dim(1)));
    }

    @Override
    public void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores) {
        double[] pv = in("causalSoftmaxBackward", "probs", probs, F32);
        double[] dpv = in("causalSoftmaxBackward", "dProbs", dProbs, F32);
        check("causalSoftmaxBackward", "dScores", dScores, F32);
        SequenceOpChecks.causalSoftmaxBackward(probs, dProbs, dScores);
        write(dScores, SequenceOps.causalSoftmaxBackward(pv, dpv, probs.dim(0), probs.dim(1)));
    }

    @Override
    public void permute(Tensor x, int[] perm, Tensor y) {
        double[] xv = in("permute", "x", x, F32);
        check("permute", "y", y, F32);
        SequenceOpChecks.permute(x, perm, y);
        write(y, MatrixOps.permute(xv, x.shape(), perm));
    }

    // ---- images (ImageOps) --------------------------------------------------------------------------------------

    @Override
    public void im2col(Tensor x, Window2d w, Tensor col) {
        double[] xv = in("im2col", "x", x, F32);
        check("im2col", "col", col, F32);
        write(col, ImageOps.im2col(xv, ImageOpChecks.im2col(x, w, col)));
    }

    @Override
    public void col2im(Tensor col, Window2d w, Tensor dx) {
        double[] cv = in("col2im", "col", col, F32);
        check("col2im", "dx", dx, F32);
        write(dx, ImageOps.col2im(cv, ImageOpChecks.col2im(col, w, dx)));
    }

    /** The generic im2col convolution ({@link dev.quadrant.device.Im2colConvolution}) on this backend's ops. */
    @Override
    public void conv2dForward(Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y) {
        dev.quadrant.device.Im2colConvolution.forward(this, x, w, weight, bias, col, y);
    }

    /** The generic backward ({@link dev.quadrant.device.Im2colConvolution}), reading the forward's {@code col}. */
    @Override
    public void conv2dBackward(Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol,
                               Tensor dWeight, Tensor dBias, Tensor dx) {
        dev.quadrant.device.Im2colConvolution.backward(this, x, dy, w, weight, col, dcol, dWeight, dBias, dx);
    }

    @Override
    public void maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax) {
        String op = "maxPool2dForward";
        double[] xv = in(op, "x", x, F32);
        check(op, "y", y, F32);
        ReferenceStorage a = check(op, "argmax", argmax, I32);
        ImageOpChecks.Geometry g = ImageOpChecks.maxPool2dForward(x, w, y, argmax);
        int[] at = new int[argmax.intSize()];
        write(y, ImageOps.maxPool2dForward(xv, g, at));
        System.arraycopy(at, 0, a.ints(), off(argmax), at.length);
    }

    @Override
    public void maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx) {
        String op = "maxPool2dBackward";
        double[] dyv = in(op, "dy", dy, F32);
        int[] av = inInts(op, "argmax", argmax);
        check(op, "dx", dx, F32);
        write(dx, ImageOps.maxPool2dBackward(dyv, av, ImageOpChecks.maxPool2dBackward(dy, argmax, w, dx)));
    }

    @Override
    public void avgPool2dForward(Tensor x, Window2d w, Tensor y) {
        double[] xv = in("avgPool2dForward", "x", x, F32);
        check("avgPool2dForward", "y", y, F32);
        write(y, ImageOps.avgPool2dForward(xv, ImageOpChecks.avgPool2dForward(x, w, y)));
    }

    @Override
    public void avgPool2dBackward(Tensor dy, Window2d w, Tensor dx) {
        double[] dyv = in("avgPool2dBackward", "dy", dy, F32);
        check("avgPool2dBackward", "dx", dx, F32);
        write(dx, ImageOps.avgPool2dBackward(dyv, ImageOpChecks.avgPool2dBackward(dy, w, dx)));
    }

    // ---- batch normalisation (BatchNormOps) ---------------------------------------------------------------------

    @Override
    public void centeredSquareSums(Tensor x, Tensor sum, float count, Tensor out) {
        String op = "centeredSquareSums";
        double[] xv = in(op, "x", x, F32);
        double[] sv = in(op, "sum", sum, F32);
        check(op, "out", out, F32);
        BatchNormOpChecks.centeredSquareSums(x, sum, count, out);
        write(out, BatchNormOps.centeredSquareSums(xv, x.dim(1), sv, count));
    }

    @Override
    public void batchNormForward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma, Tensor beta,
                                 Tensor y) {
        String op = "batchNormForward";
        double[] xv = in(op, "x", x, F32);
        double[] sv = in(op, "sum", sum, F32);
        double[] qv = in(op, "sqSum", sqSum, F32);
        double[] gv = in(op, "gamma", gamma, F32);
        double[] bv = in(op, "beta", beta, F32);
        check(op, "y", y, F32);
        BatchNormOpChecks.batchNormForward(x, sum, sqSum, count, eps, gamma, beta, y);
        write(y, BatchNormOps.forward(xv, x.dim(1), sv, qv, count, eps, gv, bv));
    }

    @Override
    public void batchNormRunningUpdate(Tensor sum, Tensor sqSum, float count, float momentum, Tensor runningMean,
                                       Tensor runningVar) {
        String op = "batchNormRunningUpdate";
        double[] sv = in(op, "sum", sum, F32);
        double[] qv = in(op, "sqSum", sqSum, F32);
        double[] mv = in(op, "runningMean", runningMean, F32);
        double[] vv = in(op, "runningVar", runningVar, F32);
        BatchNormOpChecks.batchNormRunningUpdate(sum, sqSum, count, momentum, runningMean, runningVar);
        double[][] r = BatchNormOps.runningUpdate(sv, qv, count, momentum, mv, vv);
        write(runningMean, r[0]);
        write(runningVar, r[1]);
    }

    @Override
    public void batchNormBackwardSums(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor dy,
                                      Tensor sums) {
        String op = "batchNormBackwardSums";
        double[] xv = in(op, "x", x, F32);
        double[] sv = in(op, "sum", sum, F32);
        double[] qv = in(op, "sqSum", sqSum, F32);
        double[] dyv = in(op, "dy", dy, F32);
        check(op, "sums", sums, F32);
        BatchNormOpChecks.batchNormBackwardSums(x, sum, sqSum, count, eps, dy, sums);
        write(sums, BatchNormOps.backwardSums(xv, x.dim(1), sv, qv, count, eps, dyv));
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma,
                                  Tensor sums, Tensor dy, Tensor dx) {
        String op = "batchNormBackward";
        double[] xv = in(op, "x", x, F32);
        double[] sv = in(op, "sum", sum, F32);
        double[] qv = in(op, "sqSum", sqSum, F32);
        double[] gv = in(op, "gamma", gamma, F32);
        double[] bsv = in(op, "sums", sums, F32);
        double[] dyv = in(op, "dy", dy, F32);
        check(op, "dx", dx, F32);
        BatchNormOpChecks.batchNormBackward(x, sum, sqSum, count, eps, gamma, sums, dy, dx);
        write(dx, BatchNormOps.backward(xv, x.dim(1), sv, qv, count, eps, gv, bsv, dyv));
    }

    // ---- losses and metrics -------------------------------------------------------------------------------

    @Override
    public void softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor losses) {
        String op = "softmaxCrossEntropyForward";
        double[] lv = in(op, "logits", logits, F32);
        int[] yv = inInts(op, "labels", labels);
        check(op, "losses", losses, F32);
        int cols = OpChecks.softmaxCrossEntropyForward(logits, labels, losses);
        write(losses, LossOps.softmaxCrossEntropyForward(op, lv, cols, yv));
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor logits, Tensor labels, float scale, Tensor dLogits) {
        String op = "softmaxCrossEntropyBackward";
        double[] lv = in(op, "logits", logits, F32);
        int[] yv = inInts(op, "labels", labels);
        check(op, "dLogits", dLogits, F32);
        int cols = OpChecks.softmaxCrossEntropyBackward(logits, labels, dLogits);
        write(dLogits, LossOps.softmaxCrossEntropyBackward(op, lv, cols, yv, scale));
    }

    @Override
    public void mseForward(Tensor pred, Tensor target, Tensor losses) {
        double[] pv = in("mseForward", "pred", pred, F32);
        double[] tv = in("mseForward", "target", target, F32);
        check("mseForward", "losses", losses, F32);
        OpChecks.mseForward(pred, target, losses);
        write(losses, LossOps.mseForward(pv, tv, pred.dim(1)));
    }

    @Override
    public void mseBackward(Tensor pred, Tensor target, float scale, Tensor dPred) {
        double[] pv = in("mseBackward", "pred", pred, F32);
        double[] tv = in("mseBackward", "target", target, F32);
        check("mseBackward", "dPred", dPred, F32);
        OpChecks.mseBackward(pred, target, dPred);
        write(dPred, LossOps.mseBackward(pv, tv, pred.dim(1), scale));
    }

    @Override
    public void argmax(Tensor x, Tensor out) {
        double[] xv = in("argmax", "x", x, F32);
        ReferenceStorage o = check("argmax", "out", out, I32);
        int cols = OpChecks.argmax(x, out);
        int[] a = LossOps.argmax(xv, x.dim(0), cols);
        System.arraycopy(a, 0, o.ints(), off(out), a.length);
    }

    @Override
    public void countCorrect(Tensor logits, Tensor labels, Tensor acc) {
        double[] lv = in("countCorrect", "logits", logits, F32);
        int[] yv = inInts("countCorrect", "labels", labels);
        double[] av = in("countCorrect", "acc", acc, F32);
        int cols = OpChecks.countCorrect(logits, labels, acc);
        write(acc, new double[] {av[0] + LossOps.countCorrect(lv, cols, yv)});
    }

    @Override
    public void sumInto(Tensor x, Tensor acc) {
        double[] xv = in("sumInto", "x", x, F32);
        double[] av = in("sumInto", "acc", acc, F32);
        OpChecks.sumInto(x, acc);
        write(acc, new double[] {av[0] + ElementwiseOps.sum(xv)});
    }

    @Override
    public double l2Norm(Tensor x) {
        return Math.sqrt(ElementwiseOps.sumOfSquares(in("l2Norm", "x", x, F32)));
    }

    @Override
    public boolean allFinite(Tensor x) {
        return ElementwiseOps.allFinite(in("allFinite", "x", x, F32));
    }

    @Override
    public void gradientStats(Tensor grad, float maxNorm, long step, Tensor stats) {
        double[] gv = in("gradientStats", "grad", grad, F32);
        double[] sv = in("gradientStats", "stats", stats, F32);
        OpChecks.gradientStats(grad, step, stats);
        write(stats, OptimizerOps.gradientStats(gv, maxNorm, step, sv));
    }

    @Override
    public void sumFiniteInto(Tensor x, float terms, Tensor acc) {
        double[] xv = in("sumFiniteInto", "x", x, F32);
        double[] av = in("sumFiniteInto", "acc", acc, F32);
        OpChecks.sumFiniteInto(x, terms, acc);
        if (ElementwiseOps.allFinite(xv)) {
            write(acc, new double[] {av[0] + ElementwiseOps.sum(xv), av[1] + terms});
        }
    }

    /** The guard's {@code {nonFinite, factor, skipped}}, or {@code {0, 1, 0}} without one. */
    private double[] guardOf(String op, Tensor param, Tensor guard) {
        OpChecks.guard(op, param, guard);
        if (guard == null) {
            return new double[] {0, 1, 0};
        }
        double[] g = in(op, "guard", guard, F32);
        return new double[] {g[GradientStats.NON_FINITE], g[GradientStats.FACTOR], g[GradientStats.SKIPPED]};
    }

    private static double[] scaled(double[] g, double factor) {
        double[] out = g.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= factor;
        }
        return out;
    }

    // ---- optimizer updates --------------------------------------------------------------------------------

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, boolean nesterov,
                          float weightDecay, Tensor guard) {
        double[] pv = in("sgdUpdate", "param", param, F32);
        double[] gv = in("sgdUpdate", "grad", grad, F32);
        boolean withVelocity = OpChecks.sgdUpdate(param, grad, velocity, momentum);
        double[] gd = guardOf("sgdUpdate", param, guard);
        if (gd[0] != 0) {
            return;
        }
        gv = scaled(gv, gd[1]);
        double[] vv = withVelocity ? in("sgdUpdate", "velocity", velocity, F32) : null;
        double[][] r = OptimizerOps.sgdUpdate(pv, gv, vv, lr, momentum, nesterov, weightDecay);
        write(param, r[0]);
        if (withVelocity) {
            write(velocity, r[1]);
        }
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                           float weightDecay, boolean decoupled, int step, Tensor guard) {
        double[] pv = in("adamUpdate", "param", param, F32);
        double[] gv = in("adamUpdate", "grad", grad, F32);
        double[] mv = in("adamUpdate", "m", m, F32);
        double[] vv = in("adamUpdate", "v", v, F32);
        OpChecks.adamUpdate(param, grad, m, v, step);
        double[] gd = guardOf("adamUpdate", param, guard);
        if (gd[0] != 0) {
            return;
        }
        int applied = step - (int) gd[2];
        OpChecks.adamUpdate(param, grad, m, v, applied);
        double[][] r = OptimizerOps.adamUpdate(pv, scaled(gv, gd[1]), mv, vv, lr, beta1, beta2, eps, weightDecay,
                decoupled, applied);
        write(param, r[0]);
        write(m, r[1]);
        write(v, r[2]);
    }

    // ---- casts ----------------------------------------------------------------------------------------------

    @Override
    public void castToBf16(Tensor src, Tensor dst) {
        double[] sv = in("castToBf16", "src", src, F32);
        check("castToBf16", "dst", dst, BF16);
        OpChecks.cast("castToBf16", src, dst);
        write(dst, sv);   // rounds: dst is BF16
    }

    @Override
    public void castFromBf16(Tensor src, Tensor dst) {
        double[] sv = in("castFromBf16", "src", src, BF16);
        check("castFromBf16", "dst", dst, F32);
        OpChecks.cast("castFromBf16", src, dst);
        write(dst, sv);
    }

    /** Marks the backend closed (later ops throw); tensors are closed by their owners. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private void open() {
        if (closed) {
            throw new IllegalStateException("this ReferenceBackend was closed");
        }
    }

    /** The live reference storage of {@code t}, checked to hold {@code dtype}. */
    private ReferenceStorage check(String op, String name, Tensor t, DType dtype) {
        open();
        ReferenceStorage s = storage(op, name, t);
        require(op, name, t, dtype);
        return s;
    }

    /** A copy of the elements of a FLOAT32 or BF16 argument. */
    private double[] in(String op, String name, Tensor t, DType dtype) {
        ReferenceStorage s = check(op, name, t, dtype);
        return Arrays.copyOfRange(s.values(), off(t), off(t) + t.intSize());
    }

    /** A copy of the elements of an INT32 argument. */
    private int[] inInts(String op, String name, Tensor t) {
        ReferenceStorage s = check(op, name, t, I32);
        return Arrays.copyOfRange(s.ints(), off(t), off(t) + t.intSize());
    }

    /** Writes {@code v} into the view, rounding to bf16 when the tensor is BF16. */
    private static void write(Tensor t, double[] v) {
        double[] dst = ((ReferenceStorage) t.storage()).values();
        int o = off(t);
        for (int i = 0; i < t.intSize(); i++) {
            dst[o + i] = t.dtype() == BF16 ? ElementwiseOps.roundToBf16(v[i]) : v[i];
        }
    }

    private static ReferenceStorage storage(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        if (!(t.storage() instanceof ReferenceStorage s)) {
            throw new IllegalArgumentException(op + ": " + name + " (" + t + ") is not a ReferenceBackend tensor but a "
                    + t.storage().getClass().getSimpleName() + "; download it and upload it to the reference backend");
        }
        if (s.isClosed()) {
            throw new IllegalStateException(op + ": " + name + " (" + t + ") uses a closed storage: its root tensor "
                    + "was closed");
        }
        return s;
    }

    private static void require(String op, String name, Tensor t, DType dtype) {
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + name + " has dtype " + t.dtype() + ", expected " + dtype);
        }
    }

    private static void requireFloating(String op, Tensor t) {
        if (t.dtype() == I32) {
            throw new IllegalArgumentException(op + ": t has dtype INT32, expected FLOAT32 or BF16 (use ints)");
        }
    }

    private static int off(Tensor t) {
        return (int) t.offset();
    }
}
