package dev.quadrant.kernels;

import static dev.quadrant.kernels.HostKernels.f32;
import static dev.quadrant.kernels.HostKernels.i32;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Map;

/**
 * The {@link HostKernels} bodies of the image kernels ({@code image.cu}): each kernel's contract run sequentially in
 * Java, in float32 and in the kernel's own order of additions (a window's entries row-major; an element's windows by
 * {@code oy}, then {@code ox}), so the results are bitwise the kernels'. The backward passes scatter over the windows
 * instead of gathering, which adds each element's terms in that same order; an argmax outside its own window adds
 * nothing, as in the kernel. Stateless.
 */
final class HostImageKernels {
    private HostImageKernels() {}

    /** Adds the bodies, by kernel name. */
    static void register(Map<String, HostKernels.Body> bodies) {
        bodies.put("im2col_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.COL);
            FloatBuffer x = f32(a.p(0), w.inputSize());
            FloatBuffer col = f32(a.p(1), w.colSize());
            taps(w, (out, tap, in) -> col.put(tap, in < 0 ? 0f : x.get(in)));
        });
        bodies.put("col2im_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.INPUT);
            FloatBuffer col = f32(a.p(0), w.colSize());
            FloatBuffer dx = fill(f32(a.p(1), w.inputSize()), w.inputSize(), 0f);
            taps(w, (out, tap, in) -> add(dx, in, col.get(tap)));
        });
        bodies.put("max_pool2d_forward_f32", (a, g) -> {
            ImageWindow w = window(a, 3, Counted.OUTPUT);
            FloatBuffer x = f32(a.p(0), w.inputSize());
            FloatBuffer y = fill(f32(a.p(1), w.outputSize()), w.outputSize(), Float.NEGATIVE_INFINITY);
            IntBuffer argmax = i32(a.p(2), w.outputSize());
            for (int o = 0; o < w.outputSize(); o++) {
                argmax.put(o, -1);
            }
            taps(w, (out, tap, in) -> {   // a window's taps come in row-major order: the first maximum wins
                if (in < 0) {
                    return;
                }
                float v = x.get(in);
                float best = y.get(out);
                if (argmax.get(out) < 0 || (!Float.isNaN(best) && (Float.isNaN(v) || v > best))) {
                    y.put(out, v);
                    argmax.put(out, in / w.c() % (w.h() * w.w()));
                }
            });
        });
        bodies.put("max_pool2d_backward_f32", (a, g) -> {
            ImageWindow w = window(a, 3, Counted.INPUT);
            FloatBuffer dy = f32(a.p(0), w.outputSize());
            IntBuffer argmax = i32(a.p(1), w.outputSize());
            FloatBuffer dx = fill(f32(a.p(2), w.inputSize()), w.inputSize(), 0f);
            taps(w, (out, tap, in) -> {   // only a tap of the window itself matches: an argmax outside adds nothing
                if (in >= 0 && in / w.c() % (w.h() * w.w()) == argmax.get(out)) {
                    add(dx, in, dy.get(out));
                }
            });
        });
        bodies.put("avg_pool2d_forward_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.OUTPUT);
            FloatBuffer x = f32(a.p(0), w.inputSize());
            FloatBuffer y = fill(f32(a.p(1), w.outputSize()), w.outputSize(), 0f);
            taps(w, (out, tap, in) -> {
                if (in >= 0) {
                    add(y, out, x.get(in));
                }
            });
            divide(y, w.outputSize(), w.kh() * w.kw());
        });
        bodies.put("avg_pool2d_backward_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.INPUT);
            FloatBuffer dy = f32(a.p(0), w.outputSize());
            FloatBuffer dx = fill(f32(a.p(1), w.inputSize()), w.inputSize(), 0f);
            taps(w, (out, tap, in) -> add(dx, in, dy.get(out)));
            divide(dx, w.inputSize(), w.kh() * w.kw());
        });
    }

    /** One window entry: output element {@code out}, col entry {@code tap}, input element {@code in} (-1: padding). */
    @FunctionalInterface
    private interface Tap {
        void at(int out, int tap, int in);
    }

    /**
     * Every window entry in im2col's order (output position, then channel, then kernel row and column): each output
     * element's entries row-major, and each input element's entries by output position increasing.
     */
    private static void taps(ImageWindow w, Tap t) {
        int tap = 0;
        for (int n = 0; n < w.n(); n++) {
            for (int oy = 0; oy < w.ho(); oy++) {
                for (int ox = 0; ox < w.wo(); ox++) {
                    int pos = (n * w.ho() + oy) * w.wo() + ox;
                    for (int c = 0; c < w.c(); c++) {
                        for (int ky = 0; ky < w.kh(); ky++) {
                            for (int kx = 0; kx < w.kw(); kx++) {
                                int iy = oy * w.sh() - w.ph() + ky;
                                int ix = ox * w.sw() - w.pw() + kx;
                                boolean inside = iy >= 0 && iy < w.h() && ix >= 0 && ix < w.w();
                                t.at(pos * w.c() + c, tap++, inside ? ((n * w.h() + iy) * w.w() + ix) * w.c() + c : -1);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void add(FloatBuffer b, int i, float v) {
        if (i >= 0) {
            b.put(i, b.get(i) + v);
        }
    }

    private static FloatBuffer fill(FloatBuffer b, long n, float v) {
        for (int i = 0; i < n; i++) {
            b.put(i, v);
        }
        return b;
    }

    private static void divide(FloatBuffer b, long n, float d) {
        for (int i = 0; i < n; i++) {
            b.put(i, b.get(i) / d);
        }
    }

    /** What a launch's element count counts, which gives the number of images. */
    private enum Counted { COL, INPUT, OUTPUT }

    /** The geometry that follows {@code pointers} buffer arguments (the count, then H, W, C, Ho, Wo and the window). */
    private static ImageWindow window(HostKernels.A a, int pointers, Counted counted) {
        int q = pointers + 1;
        int ho = a.i(q + 3);
        int wo = a.i(q + 4);
        ImageWindow one = new ImageWindow(1, a.i(q), a.i(q + 1), a.i(q + 2), a.i(q + 5), a.i(q + 6), a.i(q + 7),
                a.i(q + 8), a.i(q + 9), a.i(q + 10));
        if (one.ho() != ho || one.wo() != wo) {
            throw new IllegalStateException("launcher bug: output " + ho + "x" + wo + " for " + one);
        }
        long perImage = switch (counted) {
            case COL -> one.colSize();
            case INPUT -> one.inputSize();
            case OUTPUT -> one.outputSize();
        };
        int n = Math.toIntExact(a.l(pointers) / perImage);
        return new ImageWindow(n, one.h(), one.w(), one.c(), one.kh(), one.kw(), one.sh(), one.sw(), one.ph(), one.pw());
    }
}
