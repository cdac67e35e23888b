package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.Kernels;
import org.junit.jupiter.api.Test;

/**
 * The sequence-model kernels ({@code embedding.cu}, {@code layernorm.cu}, {@code attention.cu}, {@code permute.cu})
 * through the real launchers on the host emulator, against the float64 {@link ReferenceBackend} running the same op,
 * on shapes of 1 and of sizes that are no multiple of 8 or of a warp: rows 1, 3, 7 (and 150: three chunks of
 * LayerNorm partials), T 1, 5, 17 (and 40: more than a warp), D 1, 7, 33 (two column tiles), vocabularies 1, 13,
 * 70. Exact where the contract is exact (gathers, permutes, the masked half of the causal softmax, the embedding
 * backward's order of additions); 1e-5 relative plus 1e-5 absolute for float math, as {@link EmulatedKernelsTest}.
 * Determinism is checked by running twice. Skipped when g++ is missing.
 */
class EmulatedSequenceKernelsTest extends EmulatorTest {
    private static final int[] ROWS = {1, 3, 7};
    private static final int[] TS = {1, 5, 17};
    private static final int[] DIMS = {1, 7, 33};
    private static final int[] VOCABS = {1, 13, 70};

    EmulatedSequenceKernelsTest() {
        super(7L);
    }

    /** n ids in [0, vocab) with repeats, and, from n = 3 on, one below and one past the table. */
    private int[] ids(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rnd.nextInt(vocab);
        }
        if (n >= 3) {
            ids[1] = -1;
            ids[n - 1] = vocab;
        }
        return ids;
    }

    private static void exact(String what, float[] got, double[] want) {
        for (int i = 0; i < want.length; i++) {
            float w = (float) want[i];
            assertEquals(Float.floatToRawIntBits(w), Float.floatToRawIntBits(got[i]),
                    what + ": element " + i + " got " + got[i] + " expected " + w + " (exact)");
        }
    }

    @Test
    void embeddingForwardGathersRowsAndZeroesInvalidIds() {
        for (int vocab : VOCABS) {
            for (int dim : DIMS) {
                for (int n : ROWS) {
                    float[] table = randn(vocab * dim, 1);
                    int[] ids = ids(n, vocab);
                    long out = emu.floats(randn(n * dim, 1));   // garbage: every element is written
                    k.embeddingForward(null, emu.floats(table), emu.ints(ids), out, n, vocab, dim);
                    Tensor rout = ref.zeros(n, dim);
                    rb.embeddingForward(ref.floats(table, vocab, dim), ref.ints(ids, n), rout);
                    exact("embeddingForward V=" + vocab + " D=" + dim + " n=" + n, emu.readFloats(out),
                            RefTensors.values(rout));
                }
            }
        }
    }

    @Test
    void embeddingBackwardAddsInIncreasingPositionBitForBit() {
        int[][] shapes = new int[VOCABS.length * DIMS.length * ROWS.length + 2][];
        int s = 0;
        for (int vocab : VOCABS) {
            for (int dim : DIMS) {
                for (int n : ROWS) {
                    shapes[s++] = new int[] {vocab, dim, n};
                }
            }
        }
        shapes[s++] = new int[] {13, 33, 300};   // more positions than a block's tile of 256: leaders scan two tiles
        shapes[s] = new int[] {1, 7, 300};       // one table row that every position hits
        for (int[] shape : shapes) {
            int vocab = shape[0];
            int dim = shape[1];
            int n = shape[2];
            String what = "embeddingBackward V=" + vocab + " D=" + dim + " n=" + n;
            int[] ids = ids(n, vocab);
            float[] dOut = randn(n * dim, 1);
            float[] table0 = randn(vocab * dim, 1);   // accumulated onto
            long pids = emu.ints(ids);
            long pdOut = emu.floats(dOut);
            long t1 = emu.floats(table0);
            long t2 = emu.floats(table0);
            k.embeddingBackward(null, pids, pdOut, t1, n, vocab, dim);
            k.embeddingBackward(null, pids, pdOut, t2, n, vocab, dim);
            float[] got = emu.readFloats(t1);
            assertArrayEquals(got, emu.readFloats(t2), what + ": two runs differ");
            Tensor rt = ref.floats(table0, vocab, dim);
            rb.embeddingBackward(ref.ints(ids, n), ref.floats(dOut, n, dim), rt);
            near(what, got, RefTensors.values(rt));
            float[] sequential = table0.clone();   // the contract's order: for each row, contributions in increasing i
            for (int i = 0; i < n; i++) {
                if (ids[i] >= 0 && ids[i] < vocab) {
                    for (int d = 0; d < dim; d++) {
                        sequential[ids[i] * dim + d] += dOut[i * dim + d];
                    }
                }
            }
            double[] seq = new double[sequential.length];
            for (int i = 0; i < seq.length; i++) {
                seq[i] = sequential[i];
            }
            exact(what + " vs a sequential float32 loop", got, seq);
        }
    }

    @Test
    void layerNormForwardAndBackwardAccumulatingParameterGradients() {
        int[] rowsCases = {1, 3, 7, 150};   // 150 rows: three chunks of partials
        for (int rows : rowsCases) {
            for (int d : DIMS) {
                String what = "layerNorm [" + rows + "," + d + "]";
                float[] x = randn(rows * d, 2);
                for (int i = 0; i < x.length; i++) {
                    x[i] += 3f;   // a mean far from 0: the two-pass variance must not cancel
                }
                float[] gamma = randn(d, 1);
                float[] beta = randn(d, 1);
                float eps = 1e-5f;
                long px = emu.floats(x);
                long pg = emu.floats(gamma);
                long py = emu.zeros(rows * d);
                long pm = emu.zeros(rows);
                long ps = emu.zeros(rows);
                k.layerNormForward(null, px, pg, emu.floats(beta), py, pm, ps, rows, d, eps);
                Tensor rx = ref.floats(x, rows, d);
                Tensor rg = ref.floats(gamma, d);
                Tensor ry = ref.zeros(rows, d);
                Tensor rm = ref.zeros(rows);
                Tensor rs = ref.zeros(rows);
                rb.layerNormForward(rx, rg, ref.floats(beta, d), eps, ry, rm, rs);
                near(what + " y", emu.readFloats(py), RefTensors.values(ry));
                near(what + " mean", emu.readFloats(pm), RefTensors.values(rm));
                SelfTest.Checker.compare(what + " rstd", emu.readFloats(ps), RefTensors.values(rs), 1e-5, null);

                // backward from the kernel's own mean and rstd, given to both
                float[] mean = emu.readFloats(pm);
                float[] rstd = emu.readFloats(ps);
                float[] dy = randn(rows * d, 1);
                float[] dGamma0 = randn(d, 1);
                float[] dBeta0 = randn(d, 1);
                Tensor rdx = ref.zeros(rows, d);
                Tensor rdg = ref.floats(dGamma0, d);
                Tensor rdb = ref.floats(dBeta0, d);
                rb.layerNormBackward(rx, rg, ref.floats(mean, rows), ref.floats(rstd, rows), ref.floats(dy, rows, d), rdx,
                        rdg, rdb);
                float[][] first = null;
                for (boolean inPlace : new boolean[] {false, true}) {
                    long pdy = emu.floats(dy);
                    long pdx = inPlace ? pdy : emu.floats(randn(rows * d, 1));
                    long pdg = emu.floats(dGamma0);
                    long pdb = emu.floats(dBeta0);
                    long parts = emu.floats(randn(2 * Kernels.layerNormChunks(rows) * d, 1));   // scratch garbage
                    k.layerNormBackward(null, px, pg, emu.floats(mean), emu.floats(rstd), pdy, pdx, pdg, pdb, parts,
                            rows, d);
                    String how = what + (inPlace ? " (dx = dy)" : "");
                    float[][] got = {emu.readFloats(pdx), emu.readFloats(pdg), emu.readFloats(pdb)};
                    near(how + " dx", got[0], RefTensors.values(rdx));
                    near(how + " dGamma (accumulated)", got[1], RefTensors.values(rdg));
                    near(how + " dBeta (accumulated)", got[2], RefTensors.values(rdb));
                    if (first == null) {
                        first = got;
                    } else {
                        for (int i = 0; i < 3; i++) {
                            assertArrayEquals(first[i], got[i], how + ": differs from the first run (output " + i + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void causalSoftmaxForwardAndBackward() {
        int[] ts = Arrays.copyOf(TS, TS.length + 1);
        ts[TS.length] = 40;   // rows longer than a warp
        for (int batch : new int[] {1, 3}) {
            for (int t : ts) {
                String what = "causalSoftmax [" + batch + "," + t + "," + t + "]";
                int n = batch * t * t;
                int rows = batch * t;
                float[] scores = randn(n, 3);
                Tensor rp = ref.zeros(batch, t, t);
                rb.causalSoftmaxForward(ref.floats(scores, batch, t, t), rp);
                double[] wantP = RefTensors.values(rp);
                long ps = emu.floats(scores);
                long pp = emu.floats(randn(n, 1));
                k.causalSoftmaxForward(null, ps, pp, rows, t);
                float[] p = emu.readFloats(pp);
                near(what + " probs", p, wantP);
                k.causalSoftmaxForward(null, ps, ps, rows, t);   // probs = scores
                assertArrayEquals(p, emu.readFloats(ps), what + ": in place differs");
                for (int r = 0; r < rows; r++) {
                    for (int j = r % t + 1; j < t; j++) {
                        assertEquals(0f, p[r * t + j], what + ": masked entry row " + r + " col " + j);
                    }
                }

                float[] dp = randn(n, 1);
                Tensor rds = ref.zeros(batch, t, t);
                rb.causalSoftmaxBackward(ref.floats(p, batch, t, t), ref.floats(dp, batch, t, t), rds);
                long ppp = emu.floats(p);
                long pdp = emu.floats(dp);
                long pds = emu.floats(randn(n, 1));
                k.causalSoftmaxBackward(null, ppp, pdp, pds, rows, t);
                float[] ds = emu.readFloats(pds);
                near(what + " dScores", ds, RefTensors.values(rds));
                k.causalSoftmaxBackward(null, ppp, pdp, pdp, rows, t);   // dScores = dProbs
                assertArrayEquals(ds, emu.readFloats(pdp), what + ": in-place backward differs");
            }
        }
    }

    @Test
    void permuteAsNumpyTransposeUpToRankSix() {
        int[][][] cases = {
            {{5}, {0}},
            {{1}, {0}},
            {{3, 7}, {1, 0}},
            {{2, 3, 5}, {2, 0, 1}},
            {{7, 1, 5}, {1, 2, 0}},
            {{2, 5, 3, 3, 7}, {2, 0, 3, 1, 4}},   // attention: [B, T, 3, H, hd] -> [3, B, H, T, hd]
            {{2, 3, 5, 7}, {0, 2, 1, 3}},         // heads merged back
            {{2, 1, 3, 2, 5, 3}, {5, 3, 1, 0, 2, 4}},
            {{3, 2, 2, 1, 2, 2}, {0, 1, 2, 3, 4, 5}},
        };
        for (int[][] c : cases) {
            int[] shape = c[0];
            int[] perm = c[1];
            int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            int[] yShape = new int[shape.length];
            for (int a = 0; a < shape.length; a++) {
                yShape[a] = shape[perm[a]];
            }
            float[] x = randn(n, 1);
            long py = emu.zeros(n);
            k.permute(null, emu.floats(x), py, shape, perm);
            Tensor ry = ref.zeros(yShape);
            rb.permute(ref.floats(x, shape), perm, ry);
            exact("permute " + Arrays.toString(shape) + " by " + Arrays.toString(perm), emu.readFloats(py),
                    RefTensors.values(ry));
        }
    }
}
