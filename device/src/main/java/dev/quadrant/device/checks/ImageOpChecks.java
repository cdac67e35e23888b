package dev.quadrant.device.checks;

import static dev.quadrant.device.checks.TensorChecks.shapeOf;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * The argument rules of the image ops of {@link dev.quadrant.device.Backend} (im2col, col2im, max and average
 * pooling over channels-last {@code [N, H, W, C]} images), as {@link OpChecks} has them for the others. Each rule
 * takes the image size from the image argument ({@code x} forward, {@code dx} backward), the output size from the
 * {@link Window2d}, and names the op, the argument, the shape seen and the shape the window implies. Stateless.
 *
 * <pre>{@code
 * ImageOpChecks.Geometry g = ImageOpChecks.im2col(x, w, col);   // g.ho(), g.wo(), g.colWidth() ...
 * }</pre>
 */
public final class ImageOpChecks {
    private ImageOpChecks() {}

    /**
     * The sizes of one image op: images {@code [n, h, w, c]}, window {@code win}, output {@code [n, ho, wo, c]}.
     * {@link #rows()} and {@link #colWidth()} are the shape of the im2col matrix.
     */
    public record Geometry(int n, int h, int w, int c, Window2d win, int ho, int wo) {
        /** Rows of the im2col matrix: {@code n * ho * wo}. */
        public int rows() { return n * ho * wo; }

        /** Columns of the im2col matrix: {@code c * kh * kw}. */
        public int colWidth() { return c * win.kh() * win.kw(); }

        /** The pooled output shape {@code [n, ho, wo, c]}. */
        public int[] outShape() { return new int[] {n, ho, wo, c}; }
    }

    /** {@code x [N, H, W, C]}, {@code col [N * Ho * Wo, C * kh * kw]}, apart. */
    public static Geometry im2col(Tensor x, Window2d w, Tensor col) {
        Geometry g = geometry("im2col", "x", x, w);
        columns("im2col", g, col);
        TensorChecks.noOverlap("im2col", "x", x, "col", col, false);
        return g;
    }

    /** {@code dx [N, H, W, C]} (written), {@code col [N * Ho * Wo, C * kh * kw]}, apart. */
    public static Geometry col2im(Tensor col, Window2d w, Tensor dx) {
        Geometry g = geometry("col2im", "dx", dx, w);
        columns("col2im", g, col);
        TensorChecks.noOverlap("col2im", "col", col, "dx", dx, false);
        return g;
    }

    /**
     * {@code x [N, H, W, C]}, {@code y} and {@code argmax} (INT32, checked by the backend) {@code [N, Ho, Wo, C]},
     * all apart; padding at most half the kernel, as PyTorch requires, so that every window holds an image element.
     */
    public static Geometry maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax) {
        String op = "maxPool2dForward";
        Geometry g = geometry(op, "x", x, w);
        halfKernelPadding(op, w);
        pooled(op, g, "y", y);
        pooled(op, g, "argmax", argmax);
        TensorChecks.noOverlap(op, "x", x, "y", y, false);
        TensorChecks.noOverlap(op, "x", x, "argmax", argmax, false);
        TensorChecks.noOverlap(op, "y", y, "argmax", argmax, false);
        return g;
    }

    /** {@code dx [N, H, W, C]} (written), {@code dy} and {@code argmax} {@code [N, Ho, Wo, C]}, all apart. */
    public static Geometry maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx) {
        String op = "maxPool2dBackward";
        Geometry g = geometry(op, "dx", dx, w);
        halfKernelPadding(op, w);
        pooled(op, g, "dy", dy);
        pooled(op, g, "argmax", argmax);
        TensorChecks.noOverlap(op, "dy", dy, "dx", dx, false);
        TensorChecks.noOverlap(op, "argmax", argmax, "dx", dx, false);
        return g;
    }

    /** {@code x [N, H, W, C]}, {@code y [N, Ho, Wo, C]}, apart. */
    public static Geometry avgPool2dForward(Tensor x, Window2d w, Tensor y) {
        Geometry g = geometry("avgPool2dForward", "x", x, w);
        pooled("avgPool2dForward", g, "y", y);
        TensorChecks.noOverlap("avgPool2dForward", "x", x, "y", y, false);
        return g;
    }

    /** {@code dx [N, H, W, C]} (written), {@code dy [N, Ho, Wo, C]}, apart. */
    public static Geometry avgPool2dBackward(Tensor dy, Window2d w, Tensor dx) {
        Geometry g = geometry("avgPool2dBackward", "dx", dx, w);
        pooled("avgPool2dBackward", g, "dy", dy);
        TensorChecks.noOverlap("avgPool2dBackward", "dy", dy, "dx", dx, false);
        return g;
    }

    /**
     * {@code x [N, H, W, C]}, {@code col [N * Ho * Wo, C * kh * kw]}, {@code weight [out, C * kh * kw]},
     * {@code y [N * Ho * Wo, out]}, {@code bias [out]} or null; {@code y} and {@code col} apart from the others.
     */
    public static Geometry conv2dForward(Tensor x, Window2d w, Tensor weight, Tensor bias, Tensor col, Tensor y) {
        String op = "conv2dForward";
        Geometry g = geometry(op, "x", x, w);
        columns(op, g, col);
        int out = filters(op, g, weight);
        TensorChecks.shape(op, "y", y, "[N * Ho * Wo, out] = [" + g.rows() + ", " + out + "]", g.rows(), out);
        if (bias != null) {
            TensorChecks.shape(op, "bias", bias, "[out] = [" + out + "]", out);
            TensorChecks.noOverlap(op, "bias", bias, "y", y, false);
        }
        TensorChecks.noOverlap(op, "x", x, "y", y, false);
        if (col != null) {
            TensorChecks.noOverlap(op, "x", x, "col", col, false);
            TensorChecks.noOverlap(op, "weight", weight, "col", col, false);
            TensorChecks.noOverlap(op, "col", col, "y", y, false);
        }
        TensorChecks.noOverlap(op, "weight", weight, "y", y, false);
        return g;
    }

    /**
     * The forward's shapes for {@code x}, {@code col}, {@code weight}; {@code dy [N * Ho * Wo, out]},
     * {@code dWeight} as {@code weight}, {@code dBias [out]} or null, {@code dcol} as {@code col} and
     * {@code dx} as {@code x} or null; every written tensor apart from every other argument.
     */
    public static Geometry conv2dBackward(Tensor x, Tensor dy, Window2d w, Tensor weight, Tensor col, Tensor dcol,
                                          Tensor dWeight, Tensor dBias, Tensor dx) {
        String op = "conv2dBackward";
        Geometry g = geometry(op, "x", x, w);
        columns(op, g, col);
        int out = filters(op, g, weight);
        TensorChecks.shape(op, "dy", dy, "[N * Ho * Wo, out] = [" + g.rows() + ", " + out + "]", g.rows(), out);
        TensorChecks.shape(op, "dWeight", dWeight, "the weight's [" + out + ", " + g.colWidth() + "]", out,
                g.colWidth());
        Tensor[] read = {x, dy, weight, col};
        String[] readNames = {"x", "dy", "weight", "col"};
        java.util.List<Tensor> written = new java.util.ArrayList<>(java.util.List.of(dWeight));
        java.util.List<String> writtenNames = new java.util.ArrayList<>(java.util.List.of("dWeight"));
        if (dBias != null) {
            TensorChecks.shape(op, "dBias", dBias, "[out] = [" + out + "]", out);
            written.add(dBias);
            writtenNames.add("dBias");
        }
        if (dx != null) {
            TensorChecks.shape(op, "dx", dx, "x's shape", x.shape());
            written.add(dx);
            writtenNames.add("dx");
            if (dcol != null) {
                TensorChecks.shape(op, "dcol", dcol, "col's shape [" + g.rows() + ", " + g.colWidth() + "]", g.rows(),
                        g.colWidth());
                written.add(dcol);
                writtenNames.add("dcol");
            }
        }
        for (int i = 0; i < written.size(); i++) {
            for (int j = 0; j < read.length; j++) {
                if (read[j] == null) {
                    continue;
                }
                TensorChecks.noOverlap(op, readNames[j], read[j], writtenNames.get(i), written.get(i), false);
            }
            for (int j = i + 1; j < written.size(); j++) {
                TensorChecks.noOverlap(op, writtenNames.get(i), written.get(i), writtenNames.get(j), written.get(j),
                        false);
            }
        }
        return g;
    }

    /** The number of filters of {@code weight [out, C * kh * kw]}. */
    private static int filters(String op, Geometry g, Tensor weight) {
        TensorChecks.rank(op, "weight", weight, 2, "[out, C * kh * kw] with C * kh * kw = " + g.colWidth());
        TensorChecks.shape(op, "weight", weight, "[out, C * kh * kw] with C * kh * kw = " + g.colWidth(),
                weight.dim(0), g.colWidth());
        if (weight.dim(0) < 1) {
            throw new IllegalArgumentException(op + ": weight has no filters (shape " + shapeOf(weight) + ")");
        }
        return weight.dim(0);
    }

    /** The image's sizes and the window's output size; a window that does not fit throws, naming the op. */
    private static Geometry geometry(String op, String name, Tensor image, Window2d w) {
        if (w == null) {
            throw new IllegalArgumentException(op + ": window is null, expected a Window2d (kernel, stride, padding)");
        }
        TensorChecks.rank(op, name, image, 4, "[N, H, W, C] (channels-last images)");
        int n = image.dim(0);
        int h = image.dim(1);
        int wd = image.dim(2);
        int c = image.dim(3);
        int ho;
        int wo;
        try {
            ho = w.outHeight(h);
            wo = w.outWidth(wd);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + shapeOf(image) + ", too small for "
                    + w + ": " + e.getMessage(), e);
        }
        long rows = (long) n * ho * wo;
        long cols = (long) c * w.kh() * w.kw();
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE || rows * Math.max(1, cols) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + name + " " + shapeOf(image) + " with " + w
                    + " gives an im2col matrix of " + rows + " x " + cols + " elements, more than 2^31 - 1; split the batch");
        }
        return new Geometry(n, h, wd, c, w, ho, wo);
    }

    private static void columns(String op, Geometry g, Tensor col) {
        if (col == null) {   // a backend whose convolution needs no column matrix (Backend#convolutionUsesColumns)
            return;
        }
        TensorChecks.shape(op, "col", col, "[N * Ho * Wo, C * kh * kw] with N = " + g.n() + ", Ho = " + g.ho()
                + ", Wo = " + g.wo() + ", C = " + g.c() + " and a " + g.win().kh() + "x" + g.win().kw() + " kernel",
                g.rows(), g.colWidth());
    }

    private static void pooled(String op, Geometry g, String name, Tensor t) {
        TensorChecks.shape(op, name, t, "[N, Ho, Wo, C] for images [" + g.n() + ", " + g.h() + ", " + g.w() + ", "
                + g.c() + "] and " + g.win(), g.outShape());
    }

    private static void halfKernelPadding(String op, Window2d w) {
        if (2 * w.ph() > w.kh() || 2 * w.pw() > w.kw()) {
            throw new IllegalArgumentException(op + ": " + w + " pads more than half the kernel; max pooling takes "
                    + "padding <= kernel / 2 (as PyTorch), so that every window holds at least one image element");
        }
    }
}
