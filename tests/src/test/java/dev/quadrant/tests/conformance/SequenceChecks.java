package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/** embeddingForward, embeddingBackward and permute against the float64 {@link Ref}. */
final class SequenceChecks {
    private SequenceChecks() {}

    /**
     * (vocab, D, n ids): vocab 1, 13, 70; D 1, 7, 33; n = batch * T for batch 1, 3, 7 and T 1, 5, 17; and one with
     * 2000 ids over 64 columns, where a CPU backend splits the scatter-add over its threads.
     */
    static final int[][] EMBEDDING_SHAPES = {{1, 1, 1}, {13, 7, 15}, {70, 33, 119}, {1, 33, 5}, {13, 1, 17},
        {70, 7, 3}, {70, 64, 2000}};

    /** Ids in range with repeats (more ids than rows), plus, where there is room, ids below and beyond the table. */
    private static int[] ids(Random r, int n, int vocab) {
        int[] ids = Data.labels(r, n, vocab);
        if (n >= 4) {
            ids[1] = -1;
            ids[2] = vocab;
            ids[3] = ids[0];   // a repeat even when the vocabulary is large
        }
        return ids;
    }

    /** Exact: a gather copies; an id outside the table gives a zero row. */
    static void embeddingForward(Backend be) {
        Random r = new Random(81);
        for (int[] s : EMBEDDING_SHAPES) {
            int vocab = s[0];
            int dim = s[1];
            int n = s[2];
            float[] table = Data.gaussian(r, vocab * dim, 1);
            int[] ids = ids(r, n, vocab);
            String what = "embeddingForward vocab=" + vocab + " D=" + dim + " n=" + n;
            try (Guarded gt = Guarded.floats(be, table, vocab, dim); Guarded gi = Guarded.ints(be, ids, n);
                 Guarded go = Guarded.floats(be, Data.gaussian(r, n * dim, 1), n, dim)) {
                be.embeddingForward(gt.view, gi.view, go.view);
                Tensor ro = Ref.zeros(n, dim);
                Ref.BE.embeddingForward(Ref.floats(table, vocab, dim), Ref.ints(ids, n), ro);
                Approx.assertExact(what, go.floats(), Ref.values(ro));
                go.assertGuardsIntact(what);
                gt.assertGuardsIntact(what);
                gi.assertGuardsIntact(what);
            }
        }
    }

    /**
     * Tolerance: {@code (c_v + 2) eps (|dTable| + sum |dOut|)} for a row hit by {@code c_v} ids, the bound of a
     * float32 sum of {@code c_v + 1} terms (the magnitudes from the reference run on absolute values). Determinism:
     * a second run from the same start, and one on a single-thread backend, give the same bits.
     */
    static void embeddingBackward(Backend be, Backend oneThread) {
        Random r = new Random(82);
        for (int[] s : EMBEDDING_SHAPES) {
            int vocab = s[0];
            int dim = s[1];
            int n = s[2];
            int[] ids = ids(r, n, vocab);
            float[] dOut = Data.gaussian(r, n * dim, 1);
            float[] dTable = Data.gaussian(r, vocab * dim, 1);
            String what = "embeddingBackward vocab=" + vocab + " D=" + dim + " n=" + n;
            Tensor rt = Ref.floats(dTable, vocab, dim);
            Ref.BE.embeddingBackward(Ref.ints(ids, n), Ref.floats(dOut, n, dim), rt);
            Tensor mag = Ref.absFloats(dTable, vocab, dim);
            Ref.BE.embeddingBackward(Ref.ints(ids, n), Ref.absFloats(dOut, n, dim), mag);
            int[] hits = new int[vocab];
            for (int id : ids) {
                if (id >= 0 && id < vocab) {
                    hits[id]++;
                }
            }
            double[] m = Ref.values(mag);
            double[] tol = new double[m.length];
            for (int i = 0; i < m.length; i++) {
                tol[i] = (hits[i / dim] + 2) * EPS * m[i];
            }
            float[] first = scatterAdd(be, what, ids, dOut, dTable, vocab, dim);
            Approx.assertClose(what, first, Ref.values(rt), tol);
            assertArrayEquals(first, scatterAdd(be, what, ids, dOut, dTable, vocab, dim), what
                    + ": a second run gave other bits (the order of the adds must not vary)");
            assertArrayEquals(first, scatterAdd(oneThread, what, ids, dOut, dTable, vocab, dim), what
                    + ": a backend with one thread gave other bits");
        }
    }

    private static float[] scatterAdd(Backend be, String what, int[] ids, float[] dOut, float[] dTable, int vocab,
                                      int dim) {
        try (Guarded gi = Guarded.ints(be, ids, ids.length); Guarded gd = Guarded.floats(be, dOut, ids.length, dim);
             Guarded gt = Guarded.floats(be, dTable, vocab, dim)) {
            be.embeddingBackward(gi.view, gd.view, gt.view);
            gt.assertGuardsIntact(what);
            gd.assertGuardsIntact(what);
            return gt.floats();
        }
    }

    /**
     * (shape, perm) pairs: ranks 1 to 6, sizes 1 and odd; attention's split {2, 0, 3, 1, 4} of [B, T, 3, H, hd] and
     * merge {0, 2, 1, 3} of [B, H, T, hd]; identities; moves of the last axis (no contiguous run); and one split of
     * 98,304 elements that a CPU backend parallelises.
     */
    static final int[][][] PERMUTES = {
        {{33}, {0}}, {{7, 33}, {1, 0}}, {{1, 5}, {1, 0}}, {{3, 5, 7}, {2, 0, 1}}, {{3, 5, 7}, {1, 2, 0}},
        {{3, 5, 7}, {0, 2, 1}}, {{3, 5, 7}, {0, 1, 2}}, {{3, 5, 2, 7}, {0, 2, 1, 3}}, {{1, 17, 3, 33}, {0, 2, 1, 3}},
        {{3, 5, 2, 7}, {3, 2, 1, 0}}, {{3, 5, 3, 2, 7}, {2, 0, 3, 1, 4}}, {{1, 17, 3, 1, 33}, {2, 0, 3, 1, 4}},
        {{7, 1, 3, 4, 1}, {2, 0, 3, 1, 4}}, {{2, 3, 1, 2, 3, 2}, {5, 4, 3, 2, 1, 0}}, {{2, 3, 4, 5, 1, 2}, {1, 0, 3, 2, 5, 4}},
        {{8, 64, 3, 4, 16}, {2, 0, 3, 1, 4}}};

    /** Exact: a permute copies. The permute by the inverse permutation brings x back (it is the backward). */
    static void permute(Backend be) {
        Random r = new Random(83);
        for (int[][] c : PERMUTES) {
            int[] shape = c[0];
            int[] perm = c[1];
            int[] yShape = new int[shape.length];
            int[] inverse = new int[perm.length];
            for (int a = 0; a < perm.length; a++) {
                yShape[a] = shape[perm[a]];
                inverse[perm[a]] = a;
            }
            int n = Arrays.stream(shape).reduce(1, (p, q) -> p * q);
            float[] x = Data.gaussian(r, n, 1);
            String what = "permute " + Arrays.toString(shape) + " by " + Arrays.toString(perm);
            try (Guarded gx = Guarded.floats(be, x, shape); Guarded gy = Guarded.floats(be, new float[n], yShape);
                 Guarded back = Guarded.floats(be, new float[n], shape)) {
                be.permute(gx.view, perm, gy.view);
                Tensor ry = Ref.zeros(yShape);
                Ref.BE.permute(Ref.floats(x, shape), perm, ry);
                Approx.assertExact(what, gy.floats(), Ref.values(ry));
                gy.assertGuardsIntact(what);
                gx.assertGuardsIntact(what);
                be.permute(gy.view, inverse, back.view);
                Approx.assertExact(what + " and back by " + Arrays.toString(inverse), back.floats(), x);
                back.assertGuardsIntact(what);
            }
        }
    }
}
