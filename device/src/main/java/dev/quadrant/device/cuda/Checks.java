package dev.quadrant.device.cuda;

import java.util.Arrays;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.kernels.Kernels;

/** Argument checks shared by the backend's ops; each failure names the argument, what it is and what was expected. */
final class Checks {
    private Checks() {}

    static void dtype(String op, String name, Tensor t, DType want) {
        if (t.dtype() != want) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + want + ", got " + t.dtype() + " " + shape(t));
        }
    }

    static void rank2(String op, String name, Tensor t) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(op + ": " + name + " must be 2-D [rows, cols], got shape " + shape(t));
        }
    }

    static void rank(String op, String name, Tensor t, int rank, String layout) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " must be " + rank + "-D " + layout + ", got shape "
                    + shape(t));
        }
    }

    /** {@code perm} must hold each of {@code 0..rank-1} once. */
    static void permutation(String op, int[] perm, int rank) {
        boolean ok = perm != null && perm.length == rank;
        boolean[] seen = new boolean[rank];
        for (int i = 0; ok && i < rank; i++) {
            ok = perm[i] >= 0 && perm[i] < rank && !seen[perm[i]];
            if (ok) {
                seen[perm[i]] = true;
            }
        }
        if (!ok) {
            throw new IllegalArgumentException(op + ": perm must be a permutation of 0.." + (rank - 1) + " (one entry per "
                    + "axis of x), got " + (perm == null ? "null" : Arrays.toString(perm)));
        }
    }

    /** {@code t} (2-D) must be {@code [rows, cols]}. */
    static void rows(String op, String name, Tensor t, long rows, int cols, String why) {
        if (t.dim(0) != rows || t.dim(1) != cols) {
            throw new IllegalArgumentException(op + ": " + name + " must be [" + rows + "," + cols + "] (" + why
                    + "), got " + shape(t));
        }
    }

    /** LayerNorm over {@code x [n, d]}: {@code gamma [d]}, {@code mean, rstd [n]}. */
    static void layerNormVectors(String op, Tensor x, Tensor gamma, Tensor mean, Tensor rstd) {
        size(op, "gamma", gamma, x.dim(1), "one per column of x " + shape(x));
        size(op, "mean", mean, x.dim(0), "one per row of x " + shape(x));
        size(op, "rstd", rstd, x.dim(0), "one per row of x " + shape(x));
    }

    /** {@code t} must be {@code [batch, T, T]}; returns its number of rows, {@code batch * T}. */
    static int attentionScores(String op, String name, Tensor t) {
        rank(op, name, t, 3, "[batch, T, T]");
        if (t.dim(1) != t.dim(2)) {
            throw new IllegalArgumentException(op + ": " + name + " must be [batch, T, T] (square attention scores), got "
                    + shape(t));
        }
        try {
            return Math.multiplyExact(t.dim(0), t.dim(1));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": " + name + " " + shape(t) + " has more than 2^31 - 1 rows", e);
        }
    }

    /**
     * {@code x} of rank 1 to {@value Kernels#MAX_PERMUTE_RANK} with 4-byte elements, {@code perm} a permutation of its
     * axes, {@code y} of x's dtype and of x's shape permuted.
     */
    static void permuted(String op, Tensor x, int[] perm, Tensor y) {
        if (x.rank() < 1 || x.rank() > Kernels.MAX_PERMUTE_RANK) {
            throw new IllegalArgumentException(op + ": x must have rank 1 to " + Kernels.MAX_PERMUTE_RANK + ", got shape "
                    + shape(x));
        }
        permutation(op, perm, x.rank());
        dtype(op, "y", y, x.dtype());
        if (x.dtype().bytes() != 4) {
            throw new IllegalArgumentException(op + ": x must be FLOAT32 or INT32, got " + x.dtype());
        }
        int[] want = new int[x.rank()];
        for (int a = 0; a < want.length; a++) {
            want[a] = x.dim(perm[a]);
        }
        if (!Arrays.equals(want, y.shape())) {
            throw new IllegalArgumentException(op + ": y must be " + Arrays.toString(want) + " (x " + shape(x)
                    + " permuted by " + Arrays.toString(perm) + "), got " + shape(y));
        }
    }

    static void sameSize(String op, String an, Tensor a, String bn, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + bn + " " + shape(b) + " must have as many elements as " + an
                    + " " + shape(a) + " (" + a.size() + "), got " + b.size());
        }
    }

    static void size(String op, String name, Tensor t, long want, String what) {
        if (t.size() != want) {
            throw new IllegalArgumentException(op + ": " + name + " " + shape(t) + " must have " + want + " elements ("
                    + what + "), got " + t.size());
        }
    }

    static void sameShape(String op, String an, Tensor a, String bn, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + bn + " must have the shape of " + an + " " + shape(a)
                    + ", got " + shape(b));
        }
    }

    static void range(String op, String name, int arrayLength, int offset, long count) {
        if (offset < 0 || offset + count > arrayLength) {
            throw new IllegalArgumentException(op + ": " + name + " needs " + count + " elements from offset " + offset
                    + ", array holds " + arrayLength);
        }
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape());
    }
}
