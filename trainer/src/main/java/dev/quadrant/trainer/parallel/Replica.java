package dev.quadrant.trainer.parallel;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cuda.StepClock;
import dev.quadrant.trainer.nn.ForwardContext;
import dev.quadrant.trainer.nn.Loss;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.nn.Parameters;
import dev.quadrant.trainer.nn.Sequential;
import dev.quadrant.trainer.optim.Optimizer;
import dev.quadrant.trainer.optim.OptimizerConfig;

/**
 * One model replica: its backend (device), model, flat parameter and gradient buffers, optimizer state, and the
 * device buffers of one shard of a batch. It owns its backend and closes it. Every method must be called from the replica's own thread (for a single
 * replica, the caller's thread); the strategy that owns the replicas provides the synchronisation between them.
 * The exceptions: {@link #setNonFinitePolicy} (before training starts) and the read-only {@link #skippedUpdates()}
 * and {@link #lastNonFiniteParameter()}, which any thread may call.
 *
 * <p>Before each update the gradients are checked for NaN and infinities with one {@link Backend#allFinite} over the
 * whole flat gradient buffer (one pass over P floats, small next to the step's GEMMs); only when that fails is each
 * parameter's slice checked, to name the first one. What follows is the {@link NonFinitePolicy}.
 *
 * <pre>{@code
 * try (Replica r = new Replica(0, backend, ModelSpec.parse("mlp:256"), 784, 10, Activation.RELU, 0f, 128, optCfg)) {
 *     r.setParameters(initial);
 *     r.computeGradients(x, y, 0, rows, 1f / rows, seed);
 *     r.applyUpdate(lr);
 * }
 * }</pre>
 */
public final class Replica implements AutoCloseable {
    private final int rank;
    private final Backend be;
    private final Sequential model;
    private final Parameters params;
    private final Optimizer optimizer;
    private final Loss loss = Loss.CROSS_ENTROPY;
    private final int maxRows;
    private final int features;
    private final int classes;
    private final Tensor x;        // [maxRows, features]
    private final Tensor y;        // [maxRows] INT32
    private final Tensor dLogits;  // [maxRows, classes]
    private final Tensor losses;   // [maxRows]
    private final Tensor lossSum;  // [1] running sum of per-sample training losses
    private final Tensor evalLoss; // [1]
    private final Tensor evalCorrect; // [1]
    private final StepClock clock;
    private long samplesSinceRead;
    private volatile NonFinitePolicy onNonFinite = NonFinitePolicy.ABORT;
    private volatile long skippedUpdates;        // written by the replica's thread only
    private volatile String lastNonFinite;       // parameter named by the last skipped update

    public Replica(int rank, Backend backend, ModelSpec spec, int features, int classes, Activation activation,
                   float dropout, int maxRows, OptimizerConfig optimizerConfig) {
        this.rank = rank;
        this.be = backend;
        this.maxRows = Math.max(1, maxRows);
        this.features = features;
        this.classes = classes;
        this.model = spec.build(features, classes, activation, dropout);
        this.params = new Parameters(backend, model.layout());
        this.model.bind(backend, params, this.maxRows);
        this.optimizer = new Optimizer(backend, model.layout(), optimizerConfig);
        this.x = backend.allocate(DType.FLOAT32, this.maxRows, features);
        this.y = backend.allocate(DType.INT32, this.maxRows);
        this.dLogits = backend.allocate(DType.FLOAT32, this.maxRows, classes);
        this.losses = backend.allocate(DType.FLOAT32, this.maxRows);
        this.lossSum = backend.allocate(DType.FLOAT32, 1);
        this.evalLoss = backend.allocate(DType.FLOAT32, 1);
        this.evalCorrect = backend.allocate(DType.FLOAT32, 1);
        this.clock = StepClock.of(backend);
    }

    public int rank() { return rank; }

    public Backend backend() { return be; }

    public Sequential model() { return model; }

    public Parameters parameters() { return params; }

    public Optimizer optimizer() { return optimizer; }

    public int maxRows() { return maxRows; }

    /** The clock that splits this replica's steps into compute and exposed communication (on its own timeline). */
    public StepClock clock() { return clock; }

    /** Uploads a full host copy of the flat parameter buffer. */
    public void setParameters(float[] flat) {
        be.upload(flat, 0, params.values());
    }

    /** Downloads the flat parameter buffer. */
    public float[] getParameters() {
        float[] out = new float[params.values().intSize()];
        be.download(params.values(), out, 0);
        return out;
    }

    /**
     * Forward and backward on rows {@code [from, from + rows)} of the host arrays: uploads them, computes the loss
     * (added to the running training-loss sum) and writes the gradients of {@code gradScale * sum of per-sample
     * losses} into the flat gradient buffer. With {@code rows == 0} the gradients are zero.
     */
    public void computeGradients(float[] hostX, int[] hostY, int from, int rows, float gradScale, long seed) {
        computeGradients(hostX, hostY, from, rows, gradScale, seed, ready -> { });
    }

    /**
     * As {@link #computeGradients(float[], int[], int, int, float, long)}, telling {@code gradientsReadyFrom} during
     * backward from which flat offset on the gradients are final (see {@link Sequential#backward(Tensor,
     * java.util.function.LongConsumer)}); with {@code rows == 0} it is told 0 once the zeros are written.
     */
    public void computeGradients(float[] hostX, int[] hostY, int from, int rows, float gradScale, long seed,
                                 java.util.function.LongConsumer gradientsReadyFrom) {
        if (rows > maxRows) {
            throw new IllegalArgumentException("replica " + rank + " got " + rows + " rows, buffers hold " + maxRows);
        }
        if (rows == 0) {
            be.fill(params.gradients(), 0f);
            gradientsReadyFrom.accept(0);
            return;
        }
        Tensor xb = x.rows(0, rows);
        Tensor yb = y.rows(0, rows);
        be.upload(hostX, from * features, xb);
        be.upload(hostY, from, yb);
        Tensor logits = model.forward(xb, new ForwardContext(true, seed));
        Tensor lb = losses.rows(0, rows);
        loss.forward(be, logits, yb, lb);
        // Under SKIP a diverged batch must not poison the running loss: its losses are left out (one small check).
        boolean countLoss = onNonFinite != NonFinitePolicy.SKIP || be.allFinite(lb);
        if (countLoss) {
            be.sumInto(lb, lossSum);
        }
        Tensor dl = dLogits.rows(0, rows);
        loss.backward(be, logits, yb, gradScale, dl);
        model.backward(dl, gradientsReadyFrom);
        if (countLoss) {
            samplesSinceRead += rows;
        }
    }

    /**
     * Applies one optimizer update with learning rate {@code lr}, unless the gradients are not finite (see
     * {@link #checkGradients()}).
     */
    public void applyUpdate(float lr) {
        if (checkGradients()) {
            optimizer.step(params, lr);
        }
    }

    /**
     * Whether the gradients in the flat gradient buffer are all finite. If not: under {@link NonFinitePolicy#ABORT}
     * throws a {@link NonFiniteGradientException} naming the first non-finite parameter; under
     * {@link NonFinitePolicy#SKIP} counts a skipped update, remembers the parameter and returns false.
     */
    public boolean checkGradients() {
        Tensor g = params.gradients();
        if (be.allFinite(g)) {
            return true;
        }
        String first = "(unknown)";
        for (dev.quadrant.trainer.nn.ParamLayout.Entry e : params.layout().entries()) {
            if (!be.allFinite(g.slice(e.offset(), Math.toIntExact(e.size())))) {
                first = e.name();
                break;
            }
        }
        if (onNonFinite == NonFinitePolicy.ABORT) {
            throw new NonFiniteGradientException("the gradient of " + first + " is not finite (NaN or infinity) on replica "
                    + rank, first, rank);
        }
        lastNonFinite = first;
        skippedUpdates++; // only this replica's thread writes it
        return false;
    }

    /** Sets what {@link #checkGradients()} does with non-finite gradients; call before training starts. */
    public void setNonFinitePolicy(NonFinitePolicy policy) {
        this.onNonFinite = java.util.Objects.requireNonNull(policy, "policy");
    }

    /** The policy for non-finite gradients ({@link NonFinitePolicy#ABORT} unless set). */
    public NonFinitePolicy nonFinitePolicy() { return onNonFinite; }

    /** Updates skipped so far because of non-finite gradients. Any thread. */
    public long skippedUpdates() { return skippedUpdates; }

    /** The first non-finite parameter of the last skipped update, or null if none was skipped. Any thread. */
    public String lastNonFiniteParameter() { return lastNonFinite; }

    /** Sum of training losses since the last call, and resets it; synchronises with the device. */
    public double takeLossSum() {
        float[] v = new float[1];
        be.download(lossSum, v, 0);
        be.fill(lossSum, 0f);
        samplesSinceRead = 0;
        return v[0];
    }

    /** Number of samples whose losses {@link #takeLossSum()} would return. */
    public long samplesSinceRead() { return samplesSinceRead; }

    /** Evaluates on rows {@code [from, from+rows)} of the host arrays in chunks; returns {loss sum, correct count}. */
    public double[] evaluate(float[] hostX, int[] hostY, int from, int rows) {
        be.fill(evalLoss, 0f);
        be.fill(evalCorrect, 0f);
        double lossTotal = 0;
        double correct = 0;
        float[] v = new float[1];
        for (int start = 0; start < rows; start += maxRows) {
            int n = Math.min(maxRows, rows - start);
            Tensor xb = x.rows(0, n);
            Tensor yb = y.rows(0, n);
            be.upload(hostX, (from + start) * features, xb);
            be.upload(hostY, from + start, yb);
            Tensor logits = model.forward(xb, ForwardContext.eval());
            Tensor lb = losses.rows(0, n);
            loss.forward(be, logits, yb, lb);
            be.sumInto(lb, evalLoss);
            be.countCorrect(logits, yb, evalCorrect);
            if ((start / maxRows) % 64 == 63) { // float accumulators: fold into doubles now and then
                be.download(evalLoss, v, 0);
                lossTotal += v[0];
                be.download(evalCorrect, v, 0);
                correct += v[0];
                be.fill(evalLoss, 0f);
                be.fill(evalCorrect, 0f);
            }
        }
        be.download(evalLoss, v, 0);
        lossTotal += v[0];
        be.download(evalCorrect, v, 0);
        correct += v[0];
        return new double[] {lossTotal, correct};
    }

    public int features() { return features; }

    public int classes() { return classes; }

    @Override
    public void close() {
        clock.close();
        model.close();
        optimizer.close();
        params.close();
        x.close();
        y.close();
        dLogits.close();
        losses.close();
        lossSum.close();
        evalLoss.close();
        evalCorrect.close();
        be.close();
    }
}
