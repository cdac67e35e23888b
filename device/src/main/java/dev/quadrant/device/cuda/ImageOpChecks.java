package dev.quadrant.device.cuda;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.TensorChecks;

/**
 * Minimal argument checks of the image ops until the shared rules ({@code dev.quadrant.device.checks.ImageOpChecks},
 * on branch conv-ops) are merged; same names and results, so the switch is an import. Stateless.
 */
final class ImageOpChecks {
    private ImageOpChecks() {}

    /** The sizes of one image op: images {@code [n, h, w, c]}, window {@code win}, output {@code [n, ho, wo, c]}. */
    record Geometry(int n, int h, int w, int c, Window2d win, int ho, int wo) {
        int[] outShape() { return new int[] {n, ho, wo, c}; }
    }

    static Geometry im2col(Tensor x, Window2d w, Tensor col) {
        Geometry g = geometry("im2col", "x", x, w);
        TensorChecks.shape("im2col", "col", col, "[N * Ho * Wo, C * kh * kw]", g.n * g.ho * g.wo, g.c * w.kh() * w.kw());
        return g;
    }

    static Geometry col2im(Tensor col, Window2d w, Tensor dx) {
        Geometry g = geometry("col2im", "dx", dx, w);
        TensorChecks.shape("col2im", "col", col, "[N * Ho * Wo, C * kh * kw]", g.n * g.ho * g.wo, g.c * w.kh() * w.kw());
        return g;
    }

    static Geometry maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax) {
        Geometry g = geometry("maxPool2dForward", "x", x, w);
        TensorChecks.shape("maxPool2dForward", "y", y, "[N, Ho, Wo, C]", g.outShape());
        TensorChecks.shape("maxPool2dForward", "argmax", argmax, "[N, Ho, Wo, C]", g.outShape());
        return g;
    }

    static Geometry maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx) {
        Geometry g = geometry("maxPool2dBackward", "dx", dx, w);
        TensorChecks.shape("maxPool2dBackward", "dy", dy, "[N, Ho, Wo, C]", g.outShape());
        TensorChecks.shape("maxPool2dBackward", "argmax", argmax, "[N, Ho, Wo, C]", g.outShape());
        return g;
    }

    static Geometry avgPool2dForward(Tensor x, Window2d w, Tensor y) {
        Geometry g = geometry("avgPool2dForward", "x", x, w);
        TensorChecks.shape("avgPool2dForward", "y", y, "[N, Ho, Wo, C]", g.outShape());
        return g;
    }

    static Geometry avgPool2dBackward(Tensor dy, Window2d w, Tensor dx) {
        Geometry g = geometry("avgPool2dBackward", "dx", dx, w);
        TensorChecks.shape("avgPool2dBackward", "dy", dy, "[N, Ho, Wo, C]", g.outShape());
        return g;
    }

    private static Geometry geometry(String op, String name, Tensor image, Window2d w) {
        if (w == null) {
            throw new IllegalArgumentException(op + ": window is null");
        }
        TensorChecks.rank(op, name, image, 4, "[N, H, W, C]");
        return new Geometry(image.dim(0), image.dim(1), image.dim(2), image.dim(3), w, w.outHeight(image.dim(1)),
                w.outWidth(image.dim(2)));
    }
}
