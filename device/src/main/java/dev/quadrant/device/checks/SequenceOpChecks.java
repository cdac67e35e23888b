package dev.quadrant.device.checks;

import static dev.quadrant.device.checks.TensorChecks.shapeOf;

import java.util.Arrays;

import dev.quadrant.device.Tensor;

/**
 * The argument rules of the sequence-model ops of {@link dev.quadrant.device.Backend} (batched GEMM, embedding,
 * LayerNorm, causal softmax, permute), as {@link OpChecks} has them for the others. Stateless.
 *
 * <pre>{@code
 * int[] bmnk = SequenceOpChecks.gemmBatched(false, true, q, k, scores);   // {batch, m, n, k}
 * }</pre>
 */
public final class SequenceOpChecks {
    private SequenceOpChecks() {}

    /** The largest rank {@link dev.quadrant.device.Backend#permute} takes. */
    public static final int MAX_PERMUTE_RANK = 6;

    /** {@code c[i] = op(a[i]) op(b[i])} over 3-D tensors of one batch size; returns {@code {batch, m, n, k}}. */
    public static int[] gemmBatched(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        String op = OpChecks.gemmName("gemmBatched", transA, transB);
        String layout = "[batch, rows, cols]";
        TensorChecks.rank(op, "c", c, 3, layout);
        TensorChecks.rank(op, "a", a, 3, layout);
        TensorChecks.rank(op, "b", b, 3, layout);
        int batch = c.dim(0);
        int m = c.dim(1);
        int n = c.dim(2);
        int k = transA ? a.dim(1) : a.dim(2);
        String why = (transA ? "a[i]^T" : "a[i]") + " is [m, k] with batch = " + batch + ", m = " + m + " from c";
        TensorChecks.shape(op, "a", a, why, transA ? new int[] {batch, k, m} : new int[] {batch, m, k});
        why = (transB ? "b[i]^T" : "b[i]") + " is [k, n] with k = " + k + " from a, batch = " + batch + ", n = " + n
                + " from c";
        TensorChecks.shape(op, "b", b, why, transB ? new int[] {batch, n, k} : new int[] {batch, k, n});
        TensorChecks.noOverlap(op, "a", a, "c", c, false);
        TensorChecks.noOverlap(op, "b", b, "c", c, false);
        return new int[] {batch, m, n, k};
    }

    /** {@code table [V, D]}, ids of any shape with n elements, {@code out [n, D]}. */
    public static void embeddingForward(Tensor table, Tensor ids, Tensor out) {
        embedding("embeddingForward", "table", table, ids, "out", out, false);
    }

    /** {@code dTable [V, D]}, ids with n elements, {@code dOut [n, D]}. */
    public static void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        embedding("embeddingBackward", "dTable", dTable, ids, "dOut", dOut, true);
    }

    /** A {@code [V, D]} table, one {@code [D]} row per id, the written one ({@code table} or rows) apart from both. */
    private static void embedding(String op, String tableName, Tensor table, Tensor ids, String rowsName, Tensor rows,
                                  boolean tableWritten) {
        TensorChecks.matrix(op, tableName, table);
        TensorChecks.shape(op, rowsName, rows, "one row of " + tableName + " " + shapeOf(table) + " per id of ids "
                + shapeOf(ids), Math.toIntExact(ids.size()), table.dim(1));
        TensorChecks.noOverlap(op, rowsName, rows, tableName, table, false);
        TensorChecks.noOverlap(op, "ids", ids, tableWritten ? tableName : rowsName, tableWritten ? table : rows, false);
    }

    /** {@code x [n, d]} with {@code d >= 1}, gamma and beta {@code [d]}, y like x, mean and rstd {@code [n]}. */
    public static void layerNormForward(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor mean, Tensor rstd) {
        String op = "layerNormForward";
        normalised(op, x);
        perColumn(op, x, new String[] {"gamma", "beta"}, gamma, beta);
        TensorChecks.shape(op, "y", y, "same as x", x.shape());
        perRow(op, x, new String[] {"mean", "rstd"}, mean, rstd);
        apart(op, new String[] {"y", "mean", "rstd"}, new Tensor[] {y, mean, rstd},
                new String[] {"x", "gamma", "beta"}, new Tensor[] {x, gamma, beta});
    }

    /** As the forward, with dy and dx like x (dx may be dy) and dGamma, dBeta {@code [d]}. */
    public static void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx,
                                         Tensor dGamma, Tensor dBeta) {
        String op = "layerNormBackward";
        normalised(op, x);
        perColumn(op, x, new String[] {"gamma", "dGamma", "dBeta"}, gamma, dGamma, dBeta);
        perRow(op, x, new String[] {"mean", "rstd"}, mean, rstd);
        TensorChecks.shape(op, "dy", dy, "same as x", x.shape());
        TensorChecks.shape(op, "dx", dx, "same as x", x.shape());
        TensorChecks.noOverlap(op, "dy", dy, "dx", dx, true);
        apart(op, new String[] {"dx", "dGamma", "dBeta"}, new Tensor[] {dx, dGamma, dBeta},
                new String[] {"x", "gamma", "mean", "rstd"}, new Tensor[] {x, gamma, mean, rstd});
        TensorChecks.noOverlap(op, "dy", dy, "dGamma", dGamma, false);
        TensorChecks.noOverlap(op, "dy", dy, "dBeta", dBeta, false);
    }

    /** {@code scores [batch, T, T]}, probs alike (and may be scores). */
    public static void causalSoftmaxForward(Tensor scores, Tensor probs) {
        String op = "causalSoftmaxForward";
        squares(op, "scores", scores);
        TensorChecks.shape(op, "probs", probs, "same as scores", scores.shape());
        TensorChecks.noOverlap(op, "scores", scores, "probs", probs, true);
    }

    /** {@code probs [batch, T, T]}, dProbs and dScores alike; dScores may be dProbs, not probs. */
    public static void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores) {
        String op = "causalSoftmaxBackward";
        squares(op, "probs", probs);
        TensorChecks.shape(op, "dProbs", dProbs, "same as probs", probs.shape());
        TensorChecks.shape(op, "dScores", dScores, "same as probs", probs.shape());
        TensorChecks.noOverlap(op, "dProbs", dProbs, "dScores", dScores, true);
        TensorChecks.noOverlap(op, "probs", probs, "dScores", dScores, false);
    }

    /** x of rank 1 to {@link #MAX_PERMUTE_RANK}, perm a permutation of its axes, y of the permuted shape, apart. */
    public static void permute(Tensor x, int[] perm, Tensor y) {
        String op = "permute";
        if (x.rank() < 1 || x.rank() > MAX_PERMUTE_RANK) {
            throw new IllegalArgumentException(op + ": x has shape " + shapeOf(x) + ", expected rank 1 to "
                    + MAX_PERMUTE_RANK);
        }
        if (perm == null || perm.length != x.rank()) {
            throw new IllegalArgumentException(op + ": perm is " + (perm == null ? "null" : Arrays.toString(perm))
                    + ", expected a permutation of the " + x.rank() + " axes of x " + shapeOf(x));
        }
        boolean[] seen = new boolean[perm.length];
        int[] shape = new int[perm.length];
        for (int a = 0; a < perm.length; a++) {
            if (perm[a] < 0 || perm[a] >= perm.length || seen[perm[a]]) {
                throw new IllegalArgumentException(op + ": perm " + Arrays.toString(perm) + " is not a permutation of 0.."
                        + (perm.length - 1) + " (entry " + a + " = " + perm[a] + ")");
            }
            seen[perm[a]] = true;
            shape[a] = x.dim(perm[a]);
        }
        TensorChecks.shape(op, "y", y, "x " + shapeOf(x) + " with its axes in the order " + Arrays.toString(perm),
                shape);
        TensorChecks.noOverlap(op, "x", x, "y", y, false);
    }

    private static void normalised(String op, Tensor x) {
        TensorChecks.matrix(op, "x", x);
        if (x.dim(1) < 1) {
            throw new IllegalArgumentException(op + ": x has shape " + shapeOf(x)
                    + ", expected at least one column (LayerNorm normalises each row over its d >= 1 columns)");
        }
    }

    private static void perColumn(String op, Tensor x, String[] names, Tensor... ts) {
        for (int i = 0; i < ts.length; i++) {
            TensorChecks.size(op, names[i], ts[i], x.dim(1), "one per column of x " + shapeOf(x));
        }
    }

    private static void perRow(String op, Tensor x, String[] names, Tensor... ts) {
        for (int i = 0; i < ts.length; i++) {
            TensorChecks.size(op, names[i], ts[i], x.dim(0), "one per row of x " + shapeOf(x));
        }
    }

    private static void squares(String op, String name, Tensor t) {
        TensorChecks.rank(op, name, t, 3, "[batch, T, T]");
        if (t.dim(1) != t.dim(2)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + shapeOf(t)
                    + ", expected [batch, T, T] (one square matrix of scores per batch entry)");
        }
    }

    /** Each output apart from every other output and from every input. */
    private static void apart(String op, String[] outNames, Tensor[] outs, String[] inNames, Tensor[] ins) {
        for (int i = 0; i < outs.length; i++) {
            for (int j = i + 1; j < outs.length; j++) {
                TensorChecks.noOverlap(op, outNames[i], outs[i], outNames[j], outs[j], false);
            }
            for (int j = 0; j < ins.length; j++) {
                TensorChecks.noOverlap(op, inNames[j], ins[j], outNames[i], outs[i], false);
            }
        }
    }
}
