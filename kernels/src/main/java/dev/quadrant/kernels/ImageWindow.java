package dev.quadrant.kernels;

/**
 * The geometry of one {@code image.cu} launch: a channels-last input {@code [n, h, w, c]}, a window of
 * {@code kh x kw} with strides {@code sh, sw} and zero paddings {@code ph, pw}, and the output size
 * {@code ho x wo} that window gives (as {@code dev.quadrant.device.Window2d}, which this module cannot see). The
 * caller checks the values (positive sizes, a window that fits); this record only computes. Immutable.
 *
 * <pre>{@code
 * ImageWindow g = new ImageWindow(8, 28, 28, 3, 3, 3, 1, 1, 1, 1);   // 3x3 "same" over 8 RGB 28x28 images
 * long n = g.colSize();                                            // 8 * 28 * 28 * 27
 * }</pre>
 */
public record ImageWindow(int n, int h, int w, int c, int kh, int kw, int sh, int sw, int ph, int pw) {

    /** Output height {@code (h + 2 ph - kh) / sh + 1}. */
    public int ho() { return (h + 2 * ph - kh) / sh + 1; }

    /** Output width {@code (w + 2 pw - kw) / sw + 1}. */
    public int wo() { return (w + 2 * pw - kw) / sw + 1; }

    /** Elements of the input {@code [n, h, w, c]}. */
    public long inputSize() { return (long) n * h * w * c; }

    /** Elements of the pooled output {@code [n, ho, wo, c]}. */
    public long outputSize() { return (long) n * ho() * wo() * c; }

    /** Elements of im2col's {@code col [n * ho * wo, c * kh * kw]}. */
    public long colSize() { return (long) n * ho() * wo() * c * kh * kw; }
}
