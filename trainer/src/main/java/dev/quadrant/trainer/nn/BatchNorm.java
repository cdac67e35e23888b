package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UserInputException;

/**
 * Batch normalisation over the last dimension (channels last: for images {@code [H, W, C]} PyTorch's
 * {@code nn.BatchNorm2d(C)}, for features {@code [C]} its {@code BatchNorm1d}), eps {@code 1e-5}, momentum
 * {@code 0.1}. Training normalises each channel by the mean and biased variance of the batch's values of it (all
 * rows and positions), then {@code y = xhat * weight + bias}, and moves the running statistics
 * ({@code running_mean}, {@code running_var}, unbiased, as PyTorch); evaluation normalises by the running
 * statistics (and backward treats them as constants, as PyTorch does in {@code eval()} mode).
 *
 * <p>Which batch: with {@link Statistics#SYNC} (the default) the statistics are those of the whole global batch,
 * summed over the {@link BatchGroup} of the forward pass ({@link Backend#columnSums}, then
 * {@link Backend#centeredSquareSums} about the group's mean: two all-reduces of {@code C} floats in forward, one of
 * {@code 2 C} in backward), so N replicas of B rows train exactly as one replica of N * B rows (PyTorch's
 * {@code SyncBatchNorm}). With {@link Statistics#LOCAL} each replica normalises by its own shard (PyTorch's plain
 * {@code BatchNorm2d} under DDP): cheaper, but N replicas then train a different model than one replica does. The
 * asynchronous strategies have no group and always use local statistics; gradient accumulation normalises each
 * micro-batch by itself, as PyTorch does.
 *
 * <p>State: {@code running_mean} (starts at 0) and {@code running_var} (starts at 1) are non-trainable entries of
 * the parameter layout ({@link Declare#state}), saved and restored with the parameters; {@code weight} starts at 1,
 * {@code bias} at 0, neither decays.
 *
 * <pre>{@code
 * Module bn = new BatchNorm(BatchNorm.Statistics.SYNC);   // [28, 28, 16] -> [28, 28, 16]
 * }</pre>
 */
public final class BatchNorm implements Module {
    /** PyTorch's defaults. */
    public static final float EPS = 1e-5f;
    public static final float MOMENTUM = 0.1f;

    /** Whose rows the batch statistics are over. */
    public enum Statistics {
        /** The whole synchronous step's batch, over every replica (the default: N replicas equal one). */
        SYNC,
        /** Each replica's own rows. */
        LOCAL
    }

    private final Statistics statistics;
    private int[] in;
    private int channels;
    private long positions;     // per sample
    private ParamRef g;
    private ParamRef b;
    private ParamRef rm;
    private ParamRef rv;
    private ActivationRef ySlot;
    private ActivationRef dxSlot;
    private ActivationRef statSlot;
    private ActivationRef dsumSlot;
    private String name;
    private Backend be;
    private Tensor gamma;
    private Tensor beta;
    private Tensor dGamma;
    private Tensor dBeta;
    private Tensor runningMean;
    private Tensor runningVar;
    private Tensor y;           // [maxRows, ...in]
    private Tensor dx;          // [maxRows, ...in]
    private Tensor sum;         // [C] of the last training forward
    private Tensor sqSum;       // [C]
    private Tensor dsums;       // [2, C]
    private Tensor x;           // last input, not owned
    private float count;        // positions the last training forward normalised over (over the group)
    private BatchGroup group = BatchGroup.LOCAL;
    private boolean trained;    // whether the last forward was a training one

    public BatchNorm(Statistics statistics) {
        this.statistics = java.util.Objects.requireNonNull(statistics, "statistics");
    }

    public Statistics statistics() { return statistics; }

    @Override
    public int[] declare(Declare d, int[] inShape) {
        if (inShape.length == 0) {
            throw new UserInputException(d.name() + ": BatchNorm needs channels, got a scalar per sample");
        }
        name = d.name();
        in = inShape.clone();
        channels = in[in.length - 1];
        positions = Shapes.size(in) / channels;
        g = d.param("weight", false, channels);
        b = d.param("bias", false, channels);
        rm = d.state("running_mean", channels);
        rv = d.state("running_var", channels);
        ySlot = d.saved("y", DType.FLOAT32, in);
        dxSlot = d.gradient("dx", DType.FLOAT32, in);
        statSlot = d.statistics("stats", DType.FLOAT32, 2, channels);
        dsumSlot = d.statistics("dsums", DType.FLOAT32, 2, channels);
        if (statistics == Statistics.SYNC) {
            d.usesBatchGroup();
        }
        return in.clone();
    }

    @Override
    public void initialize(Init init) {
        init.fill(g, 1f);
        init.fill(rv, 1f);
        // bias and running_mean stay zero
    }

    @Override
    public void bind(Bind bind) {
        be = bind.backend();
        gamma = bind.value(g);
        beta = bind.value(b);
        dGamma = bind.gradient(g);
        dBeta = bind.gradient(b);
        runningMean = bind.value(rm);
        runningVar = bind.value(rv);
        y = bind.tensor(ySlot);
        dx = bind.tensor(dxSlot);
        Tensor stats = bind.tensor(statSlot);
        sum = stats.rows(0, 1).reshape(channels);
        sqSum = stats.rows(1, 2).reshape(channels);
        dsums = bind.tensor(dsumSlot);
    }

    @Override
    public Tensor forward(Tensor input, ForwardContext ctx) {
        int rows = input.dim(0);
        Tensor xm = Shapes.asMatrix(input);
        Tensor yb = y.rows(0, rows);
        Tensor ym = Shapes.asMatrix(yb);
        trained = ctx.training();
        x = input;
        if (!trained) {
            be.batchNormForward(xm, runningMean, runningVar, 1f, EPS, gamma, beta, ym);
            return yb;
        }
        group = statistics == Statistics.SYNC ? ctx.group() : BatchGroup.LOCAL;
        long n = group.rows(rows) * positions;
        if (n <= 1) {
            throw new UserInputException(name + ": BatchNorm in training needs more than one value per channel, got "
                    + n + " (" + group.rows(rows) + " rows of " + Shapes.show(in) + "); use a larger --batch");
        }
        count = n;
        be.columnSums(xm, 0f, sum);
        group.sum(sum);
        be.centeredSquareSums(xm, sum, count, sqSum);
        group.sum(sqSum);
        be.batchNormForward(xm, sum, sqSum, count, EPS, gamma, beta, ym);
        be.batchNormRunningUpdate(sum, sqSum, count, MOMENTUM, runningMean, runningVar);
        return yb;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        // after an evaluation forward the running statistics are constants: a per-channel affine map, whose input
        // gradient is the training formula with both sums zero (and a count of 1)
        Tensor mean = trained ? sum : runningMean;
        Tensor var = trained ? sqSum : runningVar;
        float n = trained ? count : 1f;
        Tensor xm = Shapes.asMatrix(x);
        Tensor dym = Shapes.asMatrix(dy);
        be.batchNormBackwardSums(xm, mean, var, n, EPS, dym, dsums);
        be.axpy(1f, dsums.rows(0, 1).reshape(channels), dBeta);     // this replica's share; the strategy adds them up
        be.axpy(1f, dsums.rows(1, 2).reshape(channels), dGamma);
        if (!ctx.needInputGradient()) {
            return null;
        }
        if (trained) {
            group.sum(dsums);
        } else {
            be.fill(dsums, 0f);
        }
        Tensor dxb = dx.rows(0, dy.dim(0));
        be.batchNormBackward(xm, mean, var, n, EPS, gamma, dsums, dym, Shapes.asMatrix(dxb));
        return dxb;
    }

    @Override
    public String describe() {
        return "BatchNorm(" + channels + (statistics == Statistics.SYNC ? ", synchronised" : ", local") + ")";
    }
}
