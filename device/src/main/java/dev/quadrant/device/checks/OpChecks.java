package dev.quadrant.device.checks;

import static dev.quadrant.device.checks.TensorChecks.shapeOf;

import dev.quadrant.device.Tensor;

/**
 * The shape, size and overlap rules of each {@link dev.quadrant.device.Backend} op, under the op's name, so that
 * every backend rejects the same calls with the same message. A backend first checks that each tensor is its own,
 * live and of the dtype the op takes, then calls the rule here; the sequence-model ops are in
 * {@link SequenceOpChecks}. Methods that derive sizes return them. Stateless.
 *
 * <pre>{@code
 * int[] mnk = OpChecks.gemm(transA, transB, a, b, c);   // throws IllegalArgumentException naming a, b or c
 * }</pre>
 */
public final class OpChecks {
    private OpChecks() {}

    /** The op name gemm errors carry, e.g. {@code "gemm(transA=false, transB=true)"}. */
    public static String gemmName(String op, boolean transA, boolean transB) {
        return op + "(transA=" + transA + ", transB=" + transB + ")";
    }

    /** {@code c = op(a) op(b)} over 2-D tensors; returns {@code {m, n, k}}. */
    public static int[] gemm(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        String op = gemmName("gemm", transA, transB);
        TensorChecks.matrix(op, "c", c);
        TensorChecks.matrix(op, "a", a);
        TensorChecks.matrix(op, "b", b);
        int m = c.dim(0);
        int n = c.dim(1);
        int k = transA ? a.dim(0) : a.dim(1);
        String why = (transA ? "a^T" : "a") + " is [m, k] with m = " + m + " from c";
        TensorChecks.shape(op, "a", a, why, transA ? new int[] {k, m} : new int[] {m, k});
        why = (transB ? "b^T" : "b") + " is [k, n] with k = " + k + " from a, n = " + n + " from c";
        TensorChecks.shape(op, "b", b, why, transB ? new int[] {n, k} : new int[] {k, n});
        TensorChecks.noOverlap(op, "a", a, "c", c, false);
        TensorChecks.noOverlap(op, "b", b, "c", c, false);
        return new int[] {m, n, k};
    }

    /** {@code y += alpha x}: equal sizes; y may be x. */
    public static void axpy(Tensor x, Tensor y) {
        TensorChecks.sameSize("axpy", "y", y, "x", x);
        TensorChecks.noOverlap("axpy", "x", x, "y", y, true);
    }

    /** Equal sizes (the caller checks that the dtypes are equal); dst may be src. */
    public static void copy(Tensor src, Tensor dst) {
        TensorChecks.sameSize("copy", "dst", dst, "src", src);
        TensorChecks.noOverlap("copy", "src", src, "dst", dst, true);
    }

    /** Equal sizes; out may be a or b. */
    public static void mul(Tensor a, Tensor b, Tensor out) {
        TensorChecks.sameSize("mul", "b", b, "a", a);
        TensorChecks.sameSize("mul", "out", out, "a", a);
        TensorChecks.noOverlap("mul", "a", a, "out", out, true);
        TensorChecks.noOverlap("mul", "b", b, "out", out, true);
    }

    /** {@code x [rows, n]}, {@code bias [n]}; returns n. */
    public static int addBias(Tensor x, Tensor bias) {
        TensorChecks.matrix("addBias", "x", x);
        int n = x.dim(1);
        TensorChecks.size("addBias", "bias", bias, n, "one per column of x " + shapeOf(x));
        TensorChecks.noOverlap("addBias", "bias", bias, "x", x, false);
        return n;
    }

    /** {@code x [rows, cols]}, {@code out [cols]}. */
    public static void columnSums(Tensor x, Tensor out) {
        TensorChecks.matrix("columnSums", "x", x);
        TensorChecks.size("columnSums", "out", out, x.dim(1), "one per column of x " + shapeOf(x));
        TensorChecks.noOverlap("columnSums", "x", x, "out", out, false);
    }

    /** Equal sizes; y may be x. */
    public static void activationForward(Tensor x, Tensor y) {
        TensorChecks.sameSize("activationForward", "y", y, "x", x);
        TensorChecks.noOverlap("activationForward", "x", x, "y", y, true);
    }

    /** Equal sizes; dx may be dy, not x. */
    public static void activationBackward(Tensor x, Tensor dy, Tensor dx) {
        String op = "activationBackward";
        TensorChecks.sameSize(op, "dy", dy, "x", x);
        TensorChecks.sameSize(op, "dx", dx, "x", x);
        TensorChecks.noOverlap(op, "dy", dy, "dx", dx, true);
        TensorChecks.noOverlap(op, "x", x, "dx", dx, false);
    }

    /** A drop probability in {@code [0, 1)}. */
    public static void dropoutMask(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropoutMask: p = " + p + ", expected a probability in [0, 1)");
        }
    }

    /** {@code logits [rows, classes]}, one label and one loss per row; returns the class count. */
    public static int softmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor losses) {
        String op = "softmaxCrossEntropyForward";
        int cols = perRow(op, logits, labels);
        TensorChecks.size(op, "losses", losses, logits.dim(0), "one per row of logits " + shapeOf(logits));
        TensorChecks.noOverlap(op, "logits", logits, "losses", losses, false);
        TensorChecks.noOverlap(op, "labels", labels, "losses", losses, false);
        return cols;
    }

    /** {@code dLogits} shaped as {@code logits}; returns the class count. */
    public static int softmaxCrossEntropyBackward(Tensor logits, Tensor labels, Tensor dLogits) {
        String op = "softmaxCrossEntropyBackward";
        int cols = perRow(op, logits, labels);
        TensorChecks.shape(op, "dLogits", dLogits, "same as logits", logits.shape());
        TensorChecks.noOverlap(op, "logits", logits, "dLogits", dLogits, false);
        TensorChecks.noOverlap(op, "labels", labels, "dLogits", dLogits, false);
        return cols;
    }

    /** {@code pred [rows, cols]}, target alike, one loss per row. */
    public static void mseForward(Tensor pred, Tensor target, Tensor losses) {
        String op = "mseForward";
        TensorChecks.matrix(op, "pred", pred);
        TensorChecks.shape(op, "target", target, "same as pred", pred.shape());
        TensorChecks.size(op, "losses", losses, pred.dim(0), "one per row of pred " + shapeOf(pred));
        TensorChecks.noOverlap(op, "pred", pred, "losses", losses, false);
        TensorChecks.noOverlap(op, "target", target, "losses", losses, false);
    }

    /** {@code pred [rows, cols]}, target and dPred alike. */
    public static void mseBackward(Tensor pred, Tensor target, Tensor dPred) {
        String op = "mseBackward";
        TensorChecks.matrix(op, "pred", pred);
        TensorChecks.shape(op, "target", target, "same as pred", pred.shape());
        TensorChecks.shape(op, "dPred", dPred, "same as pred", pred.shape());
        TensorChecks.noOverlap(op, "pred", pred, "dPred", dPred, false);
        TensorChecks.noOverlap(op, "target", target, "dPred", dPred, false);
    }

    /** {@code x [rows, cols]} with a column at least, one index per row; returns cols. */
    public static int argmax(Tensor x, Tensor out) {
        int cols = TensorChecks.classes("argmax", "x", x);
        TensorChecks.size("argmax", "out", out, x.dim(0), "one per row of x " + shapeOf(x));
        TensorChecks.noOverlap("argmax", "x", x, "out", out, false);
        return cols;
    }

    /** One label per row of logits, a one-element accumulator; returns the class count. */
    public static int countCorrect(Tensor logits, Tensor labels, Tensor acc) {
        String op = "countCorrect";
        int cols = perRow(op, logits, labels);
        TensorChecks.size(op, "acc", acc, 1, "a one-element accumulator");
        TensorChecks.noOverlap(op, "logits", logits, "acc", acc, false);
        TensorChecks.noOverlap(op, "labels", labels, "acc", acc, false);
        return cols;
    }

    /** A one-element accumulator apart from x. */
    public static void sumInto(Tensor x, Tensor acc) {
        TensorChecks.size("sumInto", "acc", acc, 1, "a one-element accumulator");
        TensorChecks.noOverlap("sumInto", "x", x, "acc", acc, false);
    }

    /**
     * grad (and velocity, required when {@code momentum != 0}) as large as param, all apart; returns whether the
     * velocity is used.
     */
    public static boolean sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float momentum) {
        String op = "sgdUpdate";
        TensorChecks.sameSize(op, "grad", grad, "param", param);
        TensorChecks.noOverlap(op, "param", param, "grad", grad, false);
        if (momentum == 0f) {
            return false;
        }
        if (velocity == null) {
            throw new IllegalArgumentException(op + ": velocity is null, expected a tensor like param when momentum = "
                    + momentum + " != 0");
        }
        TensorChecks.sameSize(op, "velocity", velocity, "param", param);
        TensorChecks.noOverlap(op, "param", param, "velocity", velocity, false);
        TensorChecks.noOverlap(op, "grad", grad, "velocity", velocity, false);
        return true;
    }

    /** grad, m, v as large as param, all apart; steps count from 1. */
    public static void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int step) {
        String op = "adamUpdate";
        TensorChecks.sameSize(op, "grad", grad, "param", param);
        TensorChecks.sameSize(op, "m", m, "param", param);
        TensorChecks.sameSize(op, "v", v, "param", param);
        TensorChecks.noOverlap(op, "param", param, "grad", grad, false);
        TensorChecks.noOverlap(op, "param", param, "m", m, false);
        TensorChecks.noOverlap(op, "param", param, "v", v, false);
        TensorChecks.noOverlap(op, "grad", grad, "m", m, false);
        TensorChecks.noOverlap(op, "grad", grad, "v", v, false);
        TensorChecks.noOverlap(op, "m", m, "v", v, false);
        if (step < 1) {
            throw new IllegalArgumentException(op + ": step = " + step + ", expected >= 1 (steps count from 1)");
        }
    }

    /** {@code stats} is a FLOAT32 {@link dev.quadrant.device.GradientStats} tensor apart from {@code grad}. */
    public static void gradientStats(Tensor grad, long step, Tensor stats) {
        String op = "gradientStats";
        TensorChecks.size(op, "stats", stats, dev.quadrant.device.GradientStats.SIZE, "a GradientStats tensor");
        TensorChecks.noOverlap(op, "grad", grad, "stats", stats, false);
        if (step < 0 || step >= dev.quadrant.device.GradientStats.HALF * dev.quadrant.device.GradientStats.HALF) {
            throw new IllegalArgumentException(op + ": step = " + step + ", expected 0 <= step < 2^48");
        }
    }

    /** {@code acc [2]} apart from {@code x}; {@code terms >= 0}. */
    public static void sumFiniteInto(Tensor x, float terms, Tensor acc) {
        TensorChecks.size("sumFiniteInto", "acc", acc, 2, "{loss sum, terms}");
        TensorChecks.noOverlap("sumFiniteInto", "x", x, "acc", acc, false);
        if (!(terms >= 0)) {
            throw new IllegalArgumentException("sumFiniteInto: terms = " + terms + ", expected >= 0");
        }
    }

    /** A guard of an optimizer update ({@code op}), when given, is a GradientStats tensor apart from {@code param}. */
    public static void guard(String op, Tensor param, Tensor guard) {
        if (guard != null) {
            TensorChecks.size(op, "guard", guard, dev.quadrant.device.GradientStats.SIZE, "a GradientStats tensor");
            TensorChecks.noOverlap(op, "param", param, "guard", guard, false);
        }
    }

    /** Equal sizes, apart ({@code op} is castToBf16 or castFromBf16). */
    public static void cast(String op, Tensor src, Tensor dst) {
        TensorChecks.sameSize(op, "dst", dst, "src", src);
        TensorChecks.noOverlap(op, "src", src, "dst", dst, false);
    }

    /** {@code logits [rows, classes]} with a class at least and one label per row; returns the class count. */
    private static int perRow(String op, Tensor logits, Tensor labels) {
        int cols = TensorChecks.classes(op, "logits", logits);
        TensorChecks.size(op, "labels", labels, logits.dim(0), "one per row of logits " + shapeOf(logits));
        return cols;
    }
}
