package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Loops of the sequence-model ops of {@link CpuBackend}: embedding gather and scatter-add, causal softmax forward
 * and backward, permute. Each runs over a range the caller's {@link CpuPool#parallelFor} hands it.
 *
 * <p>Parallelisation: the gather, the softmaxes and permute over output rows (independent); the scatter-add over
 * columns of the table, so that a thread owns whole columns and adds to each element in increasing {@code i}
 * whatever the split: no two threads write one element and the result is the same bit for bit on every run and for
 * every thread count. Numerics: the softmaxes take the row maximum in float (exact) and sum in double, as
 * {@link RowLoops}, but take {@code exp} in float ({@link FloatExp}, 1 ulp) and scale in float, far inside the
 * conformance bound {@code p (T + 4 + 2 |x - max|) eps}; the scatter-add sums in float, in order. Stateless.
 */
final class SequenceLoops {
    private SequenceLoops() {}

    /** Rows {@code [from, to)} of {@code out[i, :] = table[ids[i], :]}, a zero row for an id outside [0, vocab). */
    static void embeddingForward(FloatBuffer table, int to, int vocab, int dim, IntBuffer ids, int io, FloatBuffer out,
                                 int oo, int from, int toRow) {
        for (int i = from; i < toRow; i++) {
            int id = ids.get(io + i);
            if (id >= 0 && id < vocab) {
                out.put(oo + i * dim, table, to + id * dim, dim);
            } else {
                ElementwiseLoops.fill(out, oo + i * dim, 0f, 0, dim);
            }
        }
    }

    /** Columns {@code [fromCol, toCol)} of {@code dTable[ids[i], :] += dOut[i, :]} for i = 0, 1, ..., n - 1. */
    static void embeddingBackward(IntBuffer ids, int io, int n, FloatBuffer dOut, int dO, int dim, FloatBuffer dTable,
                                  int dto, int vocab, int fromCol, int toCol) {
        float[] acc = Scratch.floats(0);
        float[] add = Scratch.floats(1);
        for (int c = fromCol; c < toCol; c += Scratch.CHUNK) {
            int w = Math.min(Scratch.CHUNK, toCol - c);
            for (int i = 0; i < n; i++) {
                int id = ids.get(io + i);
                if (id < 0 || id >= vocab) {
                    continue;
                }
                int row = dto + id * dim + c;
                dTable.get(row, acc, 0, w);
                dOut.get(dO + i * dim + c, add, 0, w);
                for (int j = 0; j < w; j++) {
                    acc[j] += add[j];
                }
                dTable.put(row, acc, 0, w);
            }
        }
    }

    /**
     * Rows {@code [from, to)} of the {@code [batch * t, t]} scores: causal softmax; probs may be scores. Rows go in
     * blocks of whole rows through per-thread arrays ({@link #rowsPerBlock}): {@code z = max - s} on the visible
     * part (0 above the diagonal, overwritten), {@code exp(-z)} for the whole block at once ({@link FloatExp},
     * vectorised), then per row the double sum of the visible terms and {@code p = e * (float) (1 / sum)}.
     */
    static void causalSoftmaxForward(FloatBuffer s, int so, int t, FloatBuffer p, int po, int from, int to) {
        int block = rowsPerBlock(t);
        float[] a = Scratch.floats(0, block * t);
        float[] tmp = Scratch.floats(1, block * t);
        for (int r0 = from; r0 < to; r0 += block) {
            int rows = Math.min(block, to - r0);
            int len = rows * t;
            s.get(so + r0 * t, a, 0, len);
            for (int i = 0; i < rows; i++) {
                int last = (r0 + i) % t;           // entries 0..last are visible to query row `last`
                int base = i * t;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= last; j++) {
                    max = Math.max(max, a[base + j]);
                }
                for (int j = 0; j <= last; j++) {
                    a[base + j] = max - a[base + j];
                }
                java.util.Arrays.fill(a, base + last + 1, base + t, 0f);
            }
            FloatExp.expNegInPlace(a, tmp, len);
            for (int i = 0; i < rows; i++) {
                int last = (r0 + i) % t;
                int base = i * t;
                double sum = 0;
                for (int j = 0; j <= last; j++) {
                    sum += a[base + j];
                }
                float inv = (float) (1 / sum);
                for (int j = 0; j <= last; j++) {
                    a[base + j] *= inv;
                }
                java.util.Arrays.fill(a, base + last + 1, base + t, 0f);
            }
            p.put(po + r0 * t, a, 0, len);
        }
    }

    /**
     * Rows {@code [from, to)}: {@code ds = p (dp - sum_k p_k dp_k)} below and on the diagonal, the dot product in
     * double; dScores may be dProbs. Blocks of rows through per-thread arrays as the forward.
     */
    static void causalSoftmaxBackward(FloatBuffer p, int po, FloatBuffer dp, int dpo, int t, FloatBuffer ds, int dso,
                                      int from, int to) {
        int block = rowsPerBlock(t);
        float[] pa = Scratch.floats(0, block * t);
        float[] da = Scratch.floats(1, block * t);
        for (int r0 = from; r0 < to; r0 += block) {
            int rows = Math.min(block, to - r0);
            int len = rows * t;
            p.get(po + r0 * t, pa, 0, len);
            dp.get(dpo + r0 * t, da, 0, len);
            for (int i = 0; i < rows; i++) {
                int last = (r0 + i) % t;
                int base = i * t;
                double dot = 0;
                for (int k = 0; k <= last; k++) {
                    dot += (double) pa[base + k] * da[base + k];
                }
                float dotF = (float) dot;
                for (int j = 0; j <= last; j++) {
                    da[base + j] = pa[base + j] * (da[base + j] - dotF);
                }
                java.util.Arrays.fill(da, base + last + 1, base + t, 0f);
            }
            ds.put(dso + r0 * t, da, 0, len);
        }
    }

    /** Whole rows of length t per block of the softmax loops: a {@link Scratch#CHUNK} of them, at least one. */
    private static int rowsPerBlock(int t) {
        return Math.max(1, Scratch.CHUNK / Math.max(1, t));
    }

    /**
     * Output rows {@code [from, to)} of a permute: {@code y} seen as rows of its last axis ({@code length}
     * elements), {@code outer} the sizes of its other axes, {@code stride[a]} the step in {@code x} along y's axis
     * {@code a} (the last one included). A row whose last axis is contiguous in {@code x} is one bulk copy.
     */
    static void permute(FloatBuffer x, int xo, int[] outer, int[] stride, int length, FloatBuffer y, int yo, int from,
                        int to) {
        int lead = outer.length;
        int step = stride[lead];
        int[] index = new int[lead];
        int base = 0;
        for (int a = lead - 1, rest = from; a >= 0; a--) {   // multi-index of row `from`
            index[a] = rest % outer[a];
            rest /= outer[a];
            base += index[a] * stride[a];
        }
        for (int r = from; r < to; r++) {
            int dst = yo + r * length;
            if (step == 1) {
                y.put(dst, x, xo + base, length);
            } else {
                for (int l = 0; l < length; l++) {
                    y.put(dst + l, x.get(xo + base + l * step));
                }
            }
            for (int a = lead - 1; a >= 0; a--) {              // next row, last leading axis fastest
                base += stride[a];
                if (++index[a] < outer[a]) {
                    break;
                }
                base -= index[a] * stride[a];
                index[a] = 0;
            }
        }
    }
}
