package dev.quadrant.device.checks;

import static dev.quadrant.device.checks.TensorChecks.shapeOf;

import dev.quadrant.device.Tensor;

/**
 * The argument rules of the batch-normalisation ops of {@link dev.quadrant.device.Backend} ({@code
 * centeredSquareSums}, {@code batchNormForward}, {@code batchNormRunningUpdate}, {@code batchNormBackwardSums},
 * {@code batchNormBackward}), as {@link OpChecks} has them for the others: channels last, {@code x [m, c]} with
 * {@code m, c >= 1}, every per-channel vector {@code c} elements, the backward sums {@code [2, c]}, {@code count > 0}
 * ({@code > 1} for the running update, whose variance is unbiased), {@code eps >= 0}; outputs apart from the inputs
 * except where the Javadoc allows in place ({@code y} may be {@code x}, {@code dx} may be {@code dy}). The element
 * type (FLOAT32 throughout) is checked by each backend with its storage. Stateless.
 *
 * <pre>{@code
 * BatchNormOpChecks.batchNormForward(x, sum, sqSum, count, eps, gamma, beta, y);   // c = x.dim(1)
 * }</pre>
 */
public final class BatchNormOpChecks {
    private BatchNormOpChecks() {}

    /** {@code x [m, c]}, {@code sum, out [c]}, {@code count > 0}; out apart from both. */
    public static void centeredSquareSums(Tensor x, Tensor sum, float count, Tensor out) {
        String op = "centeredSquareSums";
        positions(op, x);
        perChannel(op, x, new String[] {"sum", "out"}, sum, out);
        count(op, count, 0);
        TensorChecks.noOverlap(op, "x", x, "out", out, false);
        TensorChecks.noOverlap(op, "sum", sum, "out", out, false);
    }

    /** {@code x, y [m, c]} (y may be x), {@code sum, sqSum, gamma, beta [c]}, {@code count > 0}, {@code eps >= 0}. */
    public static void batchNormForward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma,
                                        Tensor beta, Tensor y) {
        String op = "batchNormForward";
        positions(op, x);
        perChannel(op, x, new String[] {"sum", "sqSum", "gamma", "beta"}, sum, sqSum, gamma, beta);
        TensorChecks.shape(op, "y", y, "same as x", x.shape());
        count(op, count, 0);
        eps(op, eps);
        TensorChecks.noOverlap(op, "x", x, "y", y, true);
        apart(op, "y", y, new String[] {"sum", "sqSum", "gamma", "beta"}, sum, sqSum, gamma, beta);
    }

    /** All four {@code [c]} with {@code c = sum.size() >= 1}, {@code count > 1}; the running pair apart from all. */
    public static void batchNormRunningUpdate(Tensor sum, Tensor sqSum, float count, float momentum,
                                              Tensor runningMean, Tensor runningVar) {
        String op = "batchNormRunningUpdate";
        if (sum.size() < 1) {
            throw new IllegalArgumentException(op + ": sum has shape " + shapeOf(sum)
                    + ", expected at least one channel (one sum per channel)");
        }
        String why = "one per channel, as sum " + shapeOf(sum);
        TensorChecks.size(op, "sqSum", sqSum, sum.size(), why);
        TensorChecks.size(op, "runningMean", runningMean, sum.size(), why);
        TensorChecks.size(op, "runningVar", runningVar, sum.size(), why);
        count(op, count, 1);
        if (Float.isNaN(momentum)) {
            throw new IllegalArgumentException(op + ": momentum is NaN, expected a number (PyTorch's default is 0.1)");
        }
        TensorChecks.noOverlap(op, "runningMean", runningMean, "runningVar", runningVar, false);
        apart(op, "runningMean", runningMean, new String[] {"sum", "sqSum"}, sum, sqSum);
        apart(op, "runningVar", runningVar, new String[] {"sum", "sqSum"}, sum, sqSum);
    }

    /** {@code x, dy [m, c]}, {@code sum, sqSum [c]}, {@code sums [2, c]} apart from all, count and eps as forward. */
    public static void batchNormBackwardSums(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor dy,
                                             Tensor sums) {
        String op = "batchNormBackwardSums";
        positions(op, x);
        perChannel(op, x, new String[] {"sum", "sqSum"}, sum, sqSum);
        TensorChecks.shape(op, "dy", dy, "same as x", x.shape());
        TensorChecks.shape(op, "sums", sums, "sums[0] of dy, sums[1] of dy xhat, one per channel of x " + shapeOf(x),
                2, x.dim(1));
        count(op, count, 0);
        eps(op, eps);
        apart(op, "sums", sums, new String[] {"x", "sum", "sqSum", "dy"}, x, sum, sqSum, dy);
    }

    /**
     * {@code x, dy, dx [m, c]} (dx may be dy), {@code sum, sqSum, gamma [c]}, {@code sums [2, c]}, count and eps as
     * forward; dx apart from the rest.
     */
    public static void batchNormBackward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma,
                                         Tensor sums, Tensor dy, Tensor dx) {
        String op = "batchNormBackward";
        positions(op, x);
        perChannel(op, x, new String[] {"sum", "sqSum", "gamma"}, sum, sqSum, gamma);
        TensorChecks.shape(op, "sums", sums, "from batchNormBackwardSums, one pair per channel of x " + shapeOf(x),
                2, x.dim(1));
        TensorChecks.shape(op, "dy", dy, "same as x", x.shape());
        TensorChecks.shape(op, "dx", dx, "same as x", x.shape());
        count(op, count, 0);
        eps(op, eps);
        TensorChecks.noOverlap(op, "dy", dy, "dx", dx, true);
        apart(op, "dx", dx, new String[] {"x", "sum", "sqSum", "gamma", "sums"}, x, sum, sqSum, gamma, sums);
    }

    /** A {@code [m, c]} matrix with at least one position and one channel. */
    private static void positions(String op, Tensor x) {
        TensorChecks.rank(op, "x", x, 2, "[positions, channels] (channels last: rows * H * W positions)");
        if (x.dim(0) < 1 || x.dim(1) < 1) {
            throw new IllegalArgumentException(op + ": x has shape " + shapeOf(x)
                    + ", expected at least one position (row) and one channel (column)");
        }
    }

    private static void perChannel(String op, Tensor x, String[] names, Tensor... ts) {
        for (int i = 0; i < ts.length; i++) {
            TensorChecks.size(op, names[i], ts[i], x.dim(1), "one per channel (column) of x " + shapeOf(x));
        }
    }

    /** {@code count > above}, which also rejects NaN. */
    private static void count(String op, float count, int above) {
        if (!(count > above)) {
            throw new IllegalArgumentException(op + ": count is " + count + ", expected > " + above + " (the number of "
                    + "positions the sums were taken over"
                    + (above == 1 ? "; the running variance is unbiased, sqSum / (count - 1))" : ")"));
        }
    }

    private static void eps(String op, float eps) {
        if (!(eps >= 0)) {
            throw new IllegalArgumentException(op + ": eps is " + eps + ", expected >= 0 (added to the variance; "
                    + "PyTorch's default is 1e-5)");
        }
    }

    private static void apart(String op, String outName, Tensor out, String[] inNames, Tensor... ins) {
        for (int i = 0; i < ins.length; i++) {
            TensorChecks.noOverlap(op, inNames[i], ins[i], outName, out, false);
        }
    }
}
