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
 * <p>Parallelised by the caller: {@link CpuPool#parallelFor} hands each thread one contiguous range. The float loops
 * stream {@link Scratch#CHUNK} elements at a time through per-thread arrays (bulk get, a plain loop HotSpot
 * vectorises, bulk put; see {@link OptimizerLoops}); the rest are plain counted loops with absolute buffer accesses.
 * In-place calls ({@code mul} with out = a or b) read a chunk before writing it. Stateless.
 */
final class ElementwiseLoops {
    private ElementwiseLoops() {}

    static void axpy(float alpha, FloatBuffer x, int xo, FloatBuffer y, int yo, int from, int to) {
        float[] xa = Scratch.floats(0);
        float[] ya = Scratch.floats(1);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, xa, 0, n);
            y.get(yo + c, ya, 0, n);
            for (int i = 0; i < n; i++) {
                ya[i] += alpha * xa[i];
            }
            y.put(yo + c, ya, 0, n);
        }
    }

    static void scale(FloatBuffer x, int xo, float alpha, int from, int to) {
        float[] xa = Scratch.floats(0);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, xa, 0, n);
            for (int i = 0; i < n; i++) {
                xa[i] *= alpha;
            }
            x.put(xo + c, xa, 0, n);
        }
    }

    /** Bulk puts of a per-thread array holding {@code value} (a memset-like copy, not a put per element). */
    static void fill(FloatBuffer x, int xo, float value, int from, int to) {
        float[] va = Scratch.floats(Scratch.FILL);
        java.util.Arrays.fill(va, 0, Math.min(Scratch.CHUNK, to - from), value);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            x.put(xo + c, va, 0, Math.min(Scratch.CHUNK, to - c));
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
        float[] aa = Scratch.floats(0);
        float[] ba = Scratch.floats(1);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            a.get(ao + c, aa, 0, n);
            b.get(bo + c, ba, 0, n);
            for (int i = 0; i < n; i++) {
                aa[i] *= ba[i];
            }
            out.put(oo + c, aa, 0, n);
        }
    }

    /**
     * Rows {@code [fromRow, toRow)} of {@code x[rows, n] += bias[n]}. Narrow rows (at most
     * {@link ReductionLoops#NARROW}, e.g. a convolution's output {@code [N * H * W, C]}) go many rows per bulk get and
     * put, as in {@link ReductionLoops#columnSums}.
     */
    static void addBias(FloatBuffer x, int xo, FloatBuffer bias, int bo, int n, int fromRow, int toRow) {
        float[] ba = Scratch.floats(1);
        if (n <= ReductionLoops.NARROW) {
            float[] block = Scratch.floats(0, ReductionLoops.NARROW_BLOCK);
            int perGet = ReductionLoops.NARROW_BLOCK / n;
            bias.get(bo, ba, 0, n);
            float[] tiled = Lanes.tiled(ba, n, perGet);   // same index: vectorises
            for (int r = fromRow; r < toRow; r += perGet) {
                int k = Math.min(perGet, toRow - r) * n;
                int base = xo + r * n;
                x.get(base, block, 0, k);
                for (int t = 0; t < k; t++) {
                    block[t] += tiled[t];
                }
                x.put(base, block, 0, k);
            }
            return;
        }
        float[] xa = Scratch.floats(0);
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
