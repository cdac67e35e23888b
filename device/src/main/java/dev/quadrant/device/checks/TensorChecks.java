package dev.quadrant.device.checks;

import java.util.Arrays;

import dev.quadrant.device.Tensor;

/**
 * Building blocks of the argument checks, with messages that name the op, the argument, what was seen and what was
 * expected, e.g. {@code "gemm(transA=false, transB=false): b has shape [3, 5], expected [4, 5] (b is [k, n] with k = 4
 * from a, n = 5 from c)"}. Every failure is an {@link IllegalArgumentException}. Stateless.
 *
 * <pre>{@code
 * TensorChecks.matrix("addBias", "x", x);
 * TensorChecks.size("addBias", "bias", bias, x.dim(1), "one per column of x");
 * }</pre>
 */
public final class TensorChecks {
    private TensorChecks() {}

    /** The tensor has exactly {@code expected} as its shape; {@code why} explains where the numbers come from. */
    public static void shape(String op, String name, Tensor t, String why, int... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected) + (why.isEmpty() ? "" : " (" + why + ")"));
        }
    }

    /** The tensor is 2-D. */
    public static void matrix(String op, String name, Tensor t) {
        rank(op, name, t, 2, "[rows, cols]");
    }

    /** The tensor has {@code rank} dimensions; {@code layout} names them, e.g. {@code "[batch, rows, cols]"}. */
    public static void rank(String op, String name, Tensor t, int rank, String layout) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected a " + rank + "-D " + layout + " tensor");
        }
    }

    /** The tensor holds {@code expected} elements (any shape); {@code why} explains the number. */
    public static void size(String op, String name, Tensor t, long expected, String why) {
        if (t.size() != expected) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + " (" + t.size() + " elements), expected " + expected + " elements (" + why + ")");
        }
    }

    /** The two tensors hold the same number of elements. */
    public static void sameSize(String op, String name, Tensor t, String refName, Tensor ref) {
        size(op, name, t, ref.size(), "as many as " + refName + " " + Arrays.toString(ref.shape()));
    }

    /**
     * {@code a} and {@code b} must not share a byte of memory; when {@code exactAliasOk}, they may also be the very
     * same elements (same storage, offset, size and dtype), which element-wise ops handle in place.
     */
    public static void noOverlap(String op, String aName, Tensor a, String bName, Tensor b, boolean exactAliasOk) {
        if (a.storage() != b.storage()) {
            return;
        }
        long aFrom = a.offset() * a.dtype().bytes();
        long aTo = aFrom + a.size() * a.dtype().bytes();
        long bFrom = b.offset() * b.dtype().bytes();
        long bTo = bFrom + b.size() * b.dtype().bytes();
        if (aFrom >= bTo || bFrom >= aTo || a.size() == 0 || b.size() == 0) {
            return;
        }
        if (exactAliasOk && aFrom == bFrom && aTo == bTo && a.dtype() == b.dtype()) {
            return;
        }
        throw new IllegalArgumentException(op + ": " + aName + " (bytes " + aFrom + ".." + aTo + ") and " + bName
                + " (bytes " + bFrom + ".." + bTo + ") overlap in one storage"
                + (exactAliasOk ? "; they may be the same tensor but not partly overlap" : "; use separate buffers"));
    }

    /** A host array holds {@code count} elements from {@code offset}. */
    public static void hostRange(String op, String name, int length, int offset, long count) {
        if (offset < 0 || offset + count > length) {
            throw new IllegalArgumentException(op + ": " + name + " has " + length + " elements, expected at least "
                    + "offset " + offset + " + " + count + " = " + (offset + count));
        }
    }

    /** A 2-D {@code [rows, classes]} tensor with at least one class (column); returns the class count. */
    public static int classes(String op, String name, Tensor logits) {
        matrix(op, name, logits);
        if (logits.dim(1) < 1) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + Arrays.toString(logits.shape())
                    + ", expected at least one class (column)");
        }
        return logits.dim(1);
    }

    static String shapeOf(Tensor t) {
        return Arrays.toString(t.shape());
    }
}
