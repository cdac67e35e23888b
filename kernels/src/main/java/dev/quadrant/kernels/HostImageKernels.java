package dev.quadrant.kernels;

import static dev.quadrant.kernels.HostKernels.f32;
import static dev.quadrant.kernels.HostKernels.i32;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
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
            int e = 0;
            for (int[] o : outputs(w)) {
                for (int c = 0; c < w.c(); c++) {
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int at = input(w, o, ky, kx);
                            col.put(e++, at < 0 ? 0f : x.get(at + c));
                        }
                    }
                }
            }
        });
        bodies.put("col2im_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.INPUT);
            FloatBuffer col = f32(a.p(0), w.colSize());
            FloatBuffer dx = f32(a.p(1), w.inputSize());
            clear(dx, w.inputSize());
            int e = 0;
            for (int[] o : outputs(w)) {
                for (int c = 0; c < w.c(); c++) {
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int at = input(w, o, ky, kx);
                            float v = col.get(e++);
                            if (at >= 0) {
                                dx.put(at + c, dx.get(at + c) + v);
                            }
                        }
                    }
                }
            }
        });
        bodies.put("max_pool2d_forward_f32", (a, g) -> {
            ImageWindow w = window(a, 3, Counted.OUTPUT);
            FloatBuffer x = f32(a.p(0), w.inputSize());
            FloatBuffer y = f32(a.p(1), w.outputSize());
            IntBuffer argmax = i32(a.p(2), w.outputSize());
            int e = 0;
            for (int[] o : outputs(w)) {
                for (int c = 0; c < w.c(); c++, e++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bestAt = -1;
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int at = input(w, o, ky, kx);
                            if (at < 0) {
                                continue;
                            }
                            float v = x.get(at + c);
                            if (bestAt < 0 || (!Float.isNaN(best) && (Float.isNaN(v) || v > best))) {
                                best = v;
                                bestAt = flat(w, o, ky, kx);
                            }
                        }
                    }
                    y.put(e, best);
                    argmax.put(e, bestAt);
                }
            }
        });
        bodies.put("max_pool2d_backward_f32", (a, g) -> {
            ImageWindow w = window(a, 3, Counted.INPUT);
            FloatBuffer dy = f32(a.p(0), w.outputSize());
            IntBuffer argmax = i32(a.p(1), w.outputSize());
            FloatBuffer dx = f32(a.p(2), w.inputSize());
            clear(dx, w.inputSize());
            int e = 0;
            for (int[] o : outputs(w)) {
                for (int c = 0; c < w.c(); c++, e++) {
                    int at = inWindow(w, o, argmax.get(e));
                    if (at >= 0) {
                        dx.put(at + c, dx.get(at + c) + dy.get(e));
                    }
                }
            }
        });
        bodies.put("avg_pool2d_forward_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.OUTPUT);
            FloatBuffer x = f32(a.p(0), w.inputSize());
            FloatBuffer y = f32(a.p(1), w.outputSize());
            float div = w.kh() * w.kw();
            int e = 0;
            for (int[] o : outputs(w)) {
                for (int c = 0; c < w.c(); c++, e++) {
                    float s = 0f;
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int at = input(w, o, ky, kx);
                            if (at >= 0) {
                                s += x.get(at + c);
                            }
                        }
                    }
                    y.put(e, s / div);
                }
            }
        });
        bodies.put("avg_pool2d_backward_f32", (a, g) -> {
            ImageWindow w = window(a, 2, Counted.INPUT);
            FloatBuffer dy = f32(a.p(0), w.outputSize());
            FloatBuffer dx = f32(a.p(1), w.inputSize());
            clear(dx, w.inputSize());
            int e = 0;
            for (int[] o : outputs(w)) {
                for (int c = 0; c < w.c(); c++, e++) {
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int at = input(w, o, ky, kx);
                            if (at >= 0) {
                                dx.put(at + c, dx.get(at + c) + dy.get(e));
                            }
                        }
                    }
                }
            }
            float div = w.kh() * w.kw();
            for (int i = 0; i < w.inputSize(); i++) {
                dx.put(i, dx.get(i) / div);
            }
        });
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

    /** Every output position {@code {n, oy, ox}}, in the order of the channels-last output. */
    private static Iterable<int[]> outputs(ImageWindow w) {
        List<int[]> out = new ArrayList<>();
        for (int n = 0; n < w.n(); n++) {
            for (int oy = 0; oy < w.ho(); oy++) {
                for (int ox = 0; ox < w.wo(); ox++) {
                    out.add(new int[] {n, oy, ox});
                }
            }
        }
        return out;
    }

    /** The flat index {@code iy * W + ix} of kernel offset {@code (ky, kx)} of window {@code o}, or -1 in the padding. */
    private static int flat(ImageWindow w, int[] o, int ky, int kx) {
        int iy = o[1] * w.sh() - w.ph() + ky;
        int ix = o[2] * w.sw() - w.pw() + kx;
        return iy < 0 || iy >= w.h() || ix < 0 || ix >= w.w() ? -1 : iy * w.w() + ix;
    }

    /** {@link #input} of the window position whose flat index is {@code flat}, or -1 if it is not in window {@code o}. */
    private static int inWindow(ImageWindow w, int[] o, int flat) {
        if (flat < 0) {
            return -1;
        }
        int ky = flat / w.w() - (o[1] * w.sh() - w.ph());
        int kx = flat % w.w() - (o[2] * w.sw() - w.pw());
        return ky < 0 || ky >= w.kh() || kx < 0 || kx >= w.kw() ? -1 : input(w, o, ky, kx);
    }

    /** The index of channel 0 of that input pixel in {@code x [N, H, W, C]}, or -1 in the padding. */
    private static int input(ImageWindow w, int[] o, int ky, int kx) {
        int f = flat(w, o, ky, kx);
        return f < 0 ? -1 : (o[0] * w.h() * w.w() + f) * w.c();
    }

    private static void clear(FloatBuffer b, long n) {
        for (int i = 0; i < n; i++) {
            b.put(i, 0f);
        }
    }
}
