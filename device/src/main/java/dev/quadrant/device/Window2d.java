package dev.quadrant.device;

/**
 * The sliding window of a 2-D convolution or pooling over channels-last images {@code [N, H, W, C]}: kernel
 * {@code kh x kw}, stride {@code sh, sw}, zero padding {@code ph, pw} on each side (dilation 1). Output size
 * {@code Ho = (H + 2 ph - kh) / sh + 1}, {@code Wo = (W + 2 pw - kw) / sw + 1} (floor), as PyTorch's. Immutable.
 *
 * <pre>{@code
 * Window2d w = Window2d.square(3, 1, 1);     // 3x3, stride 1, padding 1: "same" size
 * int ho = w.outHeight(28);                  // 28
 * }</pre>
 */
public record Window2d(int kh, int kw, int sh, int sw, int ph, int pw) {
    public Window2d {
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0) {
            throw new IllegalArgumentException("window " + kh + "x" + kw + ", stride " + sh + "x" + sw + ", padding "
                    + ph + "x" + pw + ": kernel and stride must be >= 1, padding >= 0");
        }
    }

    /** A square kernel with equal strides and paddings. */
    public static Window2d square(int k, int stride, int pad) { return new Window2d(k, k, stride, stride, pad, pad); }

    /** Output height for input height {@code h}; throws if the kernel does not fit the padded input. */
    public int outHeight(int h) { return out("height", h, kh, sh, ph); }

    /** Output width for input width {@code w}. */
    public int outWidth(int w) { return out("width", w, kw, sw, pw); }

    private static int out(String what, int n, int k, int s, int p) {
        if (n + 2 * p < k) {
            throw new IllegalArgumentException("a kernel of " + k + " does not fit an input " + what + " of " + n
                    + " with padding " + p);
        }
        return (n + 2 * p - k) / s + 1;
    }
}
