package dev.quadrant.device;

import dev.quadrant.device.checks.ImageOpChecks;

/**
 * The generic convolution of {@link Backend#conv2dForward} and {@link Backend#conv2dBackward}, from a backend's own
 * primitives: {@code im2col} of the whole batch into {@code col} (kept for the backward), one GEMM, the bias; in the
 * backward the weight gradient from {@code col}, the bias gradient, then {@code dcol = dy W} and {@code col2im}. The
 * reference and CUDA backends use it (on a GPU one large GEMM is what the hardware wants); the CPU backend has its
 * own, which works a few images at a time in cache. Stateless.
 *
 * <pre>{@code
 * Im2colConvolution.forward(be, x, w, weight, bias, col, y);   // in a backend's conv2dForward
 * }</pre>
 */
public final class Im2colConvolution {
    private Im2colConvolution() {}

    /** {@link Backend#conv2dForward} on {@code be}'s im2col, GEMM and addBias. */
    public static void forward(Backend be, Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y) {
        ImageOpChecks.conv2dForward(x, w, weight, bias, col, y);
        needs("conv2dForward", "col", col);
        be.im2col(x, w, col);
        be.gemm(false, true, 1f, col, weight, 0f, y);
        if (bias != null) {
            be.addBias(y, bias);
        }
    }

    /** {@link Backend#conv2dBackward} on {@code be}'s GEMM, columnSums and col2im, reading the forward's {@code col}. */
    public static void backward(Backend be, Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol,
                                Tensor dWeight, Tensor dBias, Tensor dx) {
        ImageOpChecks.conv2dBackward(x, dy, w, weight, col, dcol, dWeight, dBias, dx);
        needs("conv2dBackward", "col", col);
        if (dx != null) {
            needs("conv2dBackward", "dcol", dcol);
        }
        be.gemm(true, false, 1f, dy, col, 1f, dWeight);
        if (dBias != null) {
            be.columnSums(dy, 1f, dBias);
        }
        if (dx != null) {
            be.gemm(false, false, 1f, dy, weight, 0f, dcol);
            be.col2im(dcol, w, dx);
        }
    }

    private static void needs(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null, but this backend's convolution keeps its "
                    + "column matrix there (convolutionUsesColumns() is true): pass a [N * Ho * Wo, C * kh * kw] tensor");
        }
    }
}
