package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

import dev.quadrant.device.DropoutHash;

/**
 * The element-wise loops of {@link CpuBackend} ({@code axpy}, {@code scale}, {@code fill}, {@code copy}, {@code mul},
 * {@code addBias}, {@code dropoutMask}, the bf16 casts), each over elements {@code [from, to)} of tensors that start
 * at the given element offsets of whole-storage buffers.
 *
 * <p>Parallelised by the caller: {@link CpuPool#parallelFor} hands each thread one contiguous range. Plain counted
 * loops with absolute buffer accesses, so that the JIT keeps them free of allocation and boxing. Stateless.
 */
final class ElementwiseLoops {
    private ElementwiseLoops() {}

    static void axpy(float alpha, FloatBuffer x, int xo, FloatBuffer y, int yo, int from, int to) {
        for (int i = from; i < to; i++) {
            y.put(yo + i, y.get(yo + i) + alpha * x.get(xo + i));
        }
    }

    static void scale(FloatBuffer x, int xo, float alpha, int from, int to) {
        for (int i = from; i < to; i++) {
            x.put(xo + i, x.get(xo + i) * alpha);
        }
    }

    static void fill(FloatBuffer x, int xo, float value, int from, int to) {
        for (int i = from; i < to; i++) {
            x.put(xo + i, value);
        }
    }

    static void copyFloats(FloatBuffer src, int so, FloatBuffer dst, int dO, int from, int to) {
        dst.put(dO + from, src, so + from, to - from);
    }

    static void copyInts(IntBuffer src, int so, IntBuffer dst, int dO, int from, int to) {
        dst.put(dO + from, src, so + from, to - from);
    }

    static void copyShorts(ShortBuffer src, int so, ShortBuffer dst, int dO, int from, int to) {
        dst.put(dO + from, src, so + from, to - from);
    }

    static void mul(FloatBuffer a, int ao, FloatBuffer b, int bo, FloatBuffer out, int oo, int from, int to) {
        for (int i = from; i < to; i++) {
            out.put(oo + i, a.get(ao + i) * b.get(bo + i));
        }
    }

    /** Rows {@code [fromRow, toRow)} of {@code x[rows, n] += bias[n]}. */
    static void addBias(FloatBuffer x, int xo, FloatBuffer bias, int bo, int n, int fromRow, int toRow) {
        float[] xa = Scratch.floats(0);
        float[] ba = Scratch.floats(1);
        for (int c = 0; c < n; c += Scratch.CHUNK) {
            int w = Math.min(Scratch.CHUNK, n - c);
            bias.get(bo + c, ba, 0, w);
            for (int r = fromRow; r < toRow; r++) {
                int base = xo + r * n + c;
                x.get(base, xa, 0, w);
                for (int j = 0; j < w; j++) {
                    xa[j] += ba[j];
                }
                x.put(base, xa, 0, w);
            }
        }
    }

    /** {@code mask[i] = uniform(seed, i) < p ? 0 : keep} with {@code i} the index inside the mask tensor. */
    static void dropoutMask(FloatBuffer mask, int mo, float p, float keep, long seed, long firstIndex, int from,
                            int to) {
        for (int i = from; i < to; i++) {
            mask.put(mo + i, DropoutHash.uniform(seed, firstIndex + i) < p ? 0f : keep);
        }
    }

    static void castToBf16(FloatBuffer src, int so, ShortBuffer dst, int dO, int from, int to) {
        for (int i = from; i < to; i++) {
            dst.put(dO + i, Bf16.fromFloat(src.get(so + i)));
        }
    }

    static void castFromBf16(ShortBuffer src, int so, FloatBuffer dst, int dO, int from, int to) {
        for (int i = from; i < to; i++) {
            dst.put(dO + i, Bf16.toFloat(src.get(so + i)));
        }
    }
}
