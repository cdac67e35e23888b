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
 * {@link RowLoops}; the scatter-add sums in float, in order. Stateless.
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

    /** Rows {@code [from, to)} of the {@code [batch * t, t]} scores: causal softmax; probs may be scores. */
    static void causalSoftmaxForward(FloatBuffer s, int so, int t, FloatBuffer p, int po, int from, int to) {
        for (int r = from; r < to; r++) {
            int last = r % t;                      // entries 0..last are visible to query row `last`
            int sb = so + r * t;
            int pb = po + r * t;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j <= last; j++) {
                max = Math.max(max, s.get(sb + j));
            }
            double sum = 0;
            for (int j = 0; j <= last; j++) {
                sum += Math.exp((double) s.get(sb + j) - max);
            }
            double inv = 1 / sum;
            for (int j = 0; j <= last; j++) {      // reads s[j] before writing p[j]: in place is fine
                p.put(pb + j, (float) (Math.exp((double) s.get(sb + j) - max) * inv));
            }
            ElementwiseLoops.fill(p, pb, 0f, last + 1, t);
        }
    }

    /** Rows {@code [from, to)}: {@code ds = p (dp - sum_k p_k dp_k)} below and on the diagonal; dScores may be dProbs. */
    static void causalSoftmaxBackward(FloatBuffer p, int po, FloatBuffer dp, int dpo, int t, FloatBuffer ds, int dso,
                                      int from, int to) {
        for (int r = from; r < to; r++) {
            int last = r % t;
            int pb = po + r * t;
            int dpb = dpo + r * t;
            int dsb = dso + r * t;
            double dot = 0;
            for (int k = 0; k <= last; k++) {
                dot += (double) p.get(pb + k) * dp.get(dpb + k);
            }
            for (int j = 0; j <= last; j++) {
                ds.put(dsb + j, (float) (p.get(pb + j) * (dp.get(dpb + j) - dot)));
            }
            ElementwiseLoops.fill(ds, dsb, 0f, last + 1, t);
        }
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
