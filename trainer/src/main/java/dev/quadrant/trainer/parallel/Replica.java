package dev.quadrant.trainer.parallel;

import java.util.function.LongConsumer;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.StepClock;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UploadQueue;
import dev.quadrant.trainer.data.Field;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.data.Schema;
import dev.quadrant.trainer.nn.BatchGroup;
import dev.quadrant.trainer.nn.Backward;
import dev.quadrant.trainer.nn.ForwardContext;
import dev.quadrant.trainer.nn.Model;
import dev.quadrant.trainer.nn.ModelFactory;
import dev.quadrant.trainer.nn.Parameters;
import dev.quadrant.trainer.objective.Objective;
import dev.quadrant.trainer.optim.Optimizer;
import dev.quadrant.trainer.optim.OptimizerConfig;

/**
 * One model replica: its backend (device), model, flat parameter and gradient buffers, optimizer state, and the
 * host staging arrays and device buffers of one shard of a batch. It owns its backend and closes it. Every method
 * must be called from the replica's own thread (for a single replica, the caller's thread); the strategy that owns
 * the replicas provides the synchronisation between them. The exceptions: {@link #setNonFinitePolicy} (before
 * training starts) and the read-only {@link #skippedUpdates()} and {@link #lastNonFiniteParameter()}, which any
 * thread may call ({@link #readChecks} and {@link #takeLoss} read the device: call them from the replica's thread or
 * when no step runs).
 *
 * <p>A step: {@link #zeroGradients()}, then {@link #computeGradients} once per micro-batch (each ACCUMULATES into
 * the flat gradient buffer, which is what makes gradient accumulation and residual fan-in work), then
 * {@link #applyUpdate}. The replica gathers its own rows from the dataset into its host staging arrays and uploads
 * them: the driver hands out sample indices, never data.
 *
 * <p>The synchronous strategies update with {@link #applyGuardedUpdate}: one {@link Backend#gradientStats} over the
 * whole flat gradient buffer writes the norm, a non-finite flag and the clipping factor into a small device tensor
 * ({@link dev.quadrant.device.GradientStats}), and the optimizer kernels read it to clip and to skip a non-finite
 * update, so a step never waits for the host. The host learns what happened when metrics are read
 * ({@link #readChecks}: the skipped count, the step and the first non-finite parameter), and {@link NonFinitePolicy#ABORT}
 * stops the run there. Under {@link NonFinitePolicy#SKIP} a diverged batch's losses are left out of the running loss
 * on the device too ({@link Backend#sumFiniteInto}). The asynchronous strategies still check on the host before
 * pushing ({@link #checkGradients}, one {@link Backend#allFinite}; only when that fails is each parameter's slice
 * checked, to name the first one).
 *
 * <pre>{@code
 * try (Replica r = new Replica(0, backend, MlpSpec.parse("mlp:256"), data.schema(), Classification.INSTANCE,
 *                              Activation.RELU, 0f, 128, optCfg)) {
 *     r.setParameters(initial);
 *     r.zeroGradients();
 *     r.computeGradients(batch, 0, batch.rows(), 1f / batch.lossTerms(), seed, Backward.IGNORE);
 *     r.applyUpdate(lr);
 * }
 * }</pre>
 */
public final class Replica implements AutoCloseable {
    private final int rank;
    private final Backend be;
    private final Model model;
    private final Parameters params;
    private final Optimizer optimizer;
    private final Objective objective;
    private final Schema schema;
    private final int maxRows;
    private final int termsPerSample;
    private final InputPrefetch.HostSet own;  // the host arrays of loads nobody prefetched (and of evaluation)
    private final InputPrefetch prefetch;     // the loader thread that gathers the next rows ahead
    private final UploadQueue uploads;        // uploads beside the compute (a GPU's copy stream)
    private final Tensor[] inputs;            // slots of [maxRows, ...input shape]: two where uploads overlap compute
    private final Tensor[] targets;           // slots of [maxRows, ...target shape], as inputs
    private final StreamEvent[] slotRead;     // per slot: recorded after the last op that reads it
    private int slot;                         // the slot of the last load
    private long dataWaitNanos;               // time a step waited for its rows (gathered here or by the loader)
    private final Tensor dOut;       // [maxRows, ...output shape]
    private final Tensor losses;     // [maxRows * termsPerSample]
    private final Tensor lossSum;    // [2] running {sum of per-term training losses, their terms (under SKIP)}
    private final Tensor gradStats;  // [GradientStats.SIZE] the device-side checks of the guarded updates
    private final Tensor evalLoss;   // [1]
    private final Tensor evalScore;  // [1]
    private final StepClock clock;
    private long termsSinceRead;
    private volatile NonFinitePolicy onNonFinite = NonFinitePolicy.ABORT;
    private volatile long skippedUpdates;        // written by the replica's thread only
    private volatile String lastNonFinite;       // parameter named by the last skipped update
    private long guardedCalls;                   // guarded updates queued (the step argument of gradientStats)
    private long guardedRead;                    // guardedCalls when the device checks were last read

    /**
     * A replica of the model {@code factory} builds for data of {@code schema} (input shape and type, number of
     * classes or vocabulary), trained on {@code objective}, holding at most {@code maxRows} samples at once.
     */
    public Replica(int rank, Backend backend, ModelFactory factory, Schema schema, Objective objective,
                   dev.quadrant.device.Activation activation, float dropout, int maxRows,
                   OptimizerConfig optimizerConfig) {
        this.rank = rank;
        this.be = backend;
        this.schema = schema;
        this.objective = objective;
        this.maxRows = Math.max(1, maxRows);
        Field in = schema.input();
        Field tg = schema.target();
        int outputs = tg.dtype() == DType.INT32 ? tg.categories() : tg.shape()[tg.shape().length - 1];
        this.model = factory.build(new ModelFactory.Inputs(in.shape(), in.dtype(), outputs, activation, dropout));
        objective.check(model.outputShape(), tg);
        this.termsPerSample = objective.termsPerSample(tg);
        this.params = new Parameters(backend, model.layout());
        this.model.bind(backend, params, this.maxRows);
        this.optimizer = new Optimizer(backend, model.layout(), optimizerConfig);
        this.own = new InputPrefetch.HostSet(schema, this.maxRows);
        this.uploads = backend.newUploadQueue();
        this.prefetch = new InputPrefetch(rank, schema, this.maxRows, uploads);
        int slots = uploads.overlapsCompute() ? 2 : 1;
        this.inputs = new Tensor[slots];
        this.targets = new Tensor[slots];
        this.slotRead = new StreamEvent[slots];
        for (int i = 0; i < slots; i++) {
            inputs[i] = backend.allocate(in.dtype(), batchShape(this.maxRows, in.shape()));
            targets[i] = backend.allocate(tg.dtype(), batchShape(this.maxRows, tg.shape()));
            slotRead[i] = backend.newEvent();
        }
        this.dOut = backend.allocate(DType.FLOAT32, batchShape(this.maxRows, model.outputShape()));
        this.losses = backend.allocate(DType.FLOAT32, this.maxRows * termsPerSample);
        this.lossSum = backend.allocate(DType.FLOAT32, 2);
        this.gradStats = backend.allocate(DType.FLOAT32, dev.quadrant.device.GradientStats.SIZE);
        this.evalLoss = backend.allocate(DType.FLOAT32, 1);
        this.evalScore = backend.allocate(DType.FLOAT32, 1);
        this.clock = StepClock.of(backend);
    }

    private static int[] batchShape(int rows, int[] perSample) {
        int[] s = new int[perSample.length + 1];
        s[0] = rows;
        System.arraycopy(perSample, 0, s, 1, perSample.length);
        return s;
    }

    public int rank() { return rank; }

    public Backend backend() { return be; }

    public Model model() { return model; }

    public Parameters parameters() { return params; }

    public Optimizer optimizer() { return optimizer; }

    public Objective objective() { return objective; }

    public Schema schema() { return schema; }

    public int maxRows() { return maxRows; }

    /** The clock that splits this replica's steps into compute and exposed communication (on its own timeline). */
    public StepClock clock() { return clock; }

    /**
     * Marks the start of one optimizer step's work on this replica's backend (the synchronous strategies call it
     * before {@link #zeroGradients}), for a backend that replays steps as graphs ({@link Backend#useStepGraphs}).
     */
    public void beginStep() {
        be.beginStep();
    }

    /** Marks the end of one optimizer step's work (after its update and communication); see {@link #beginStep}. */
    public void endStep() {
        be.endStep();
    }

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
     * Zeroes the flat gradient buffer: once per optimizer step, before the first micro-batch, after whatever wrote the
     * parameters (the last update, a broadcast, a pull); so this is also where the bf16 weight copy, if any, is
     * refreshed ({@link Parameters#refreshCopy}).
     */
    public void zeroGradients() {
        params.beginStep();   // zeroes what accumulates; overwritable gradients are left to their first write
        params.refreshCopy();
    }

    /**
     * Starts gathering rows {@code [from, from + rows)} of {@code batch} on this replica's loader thread, for a later
     * {@link #computeGradients} on exactly those rows (a hint: any other rows are gathered then, as without it). Any
     * thread may call it; the strategies call it for the next micro-batch or step before computing the current one.
     */
    public void expect(StepBatch batch, int from, int rows) {
        prefetch.expect(batch.source(), batch.ids(), from, rows);
    }

    /**
     * {@link #expect}s what this replica loads after micro-batch {@code k} of {@code batch}, as global replica
     * {@code r} of {@code n}: its shard of micro-batch {@code k + 1}, or after the last one its shard of the first
     * micro-batch of {@code next} (null: no next step known). Call it before computing micro-batch {@code k}, so the
     * loader gathers while the replica computes (requests are served in the order they are made).
     */
    public void expectAfter(StepBatch batch, int k, StepBatch next, int r, int n) {
        if (k + 1 < batch.microBatches()) {
            expect(batch, batch.shardFrom(k + 1, r, n), batch.shardRows(k + 1, r, n));
        } else if (next != null) {
            expect(next, next.shardFrom(0, r, n), next.shardRows(0, r, n));
        }
    }

    /**
     * Gathers rows {@code [from, from + rows)} of {@code ids} (or takes what the loader gathered) and uploads them into
     * the next slot of the device input and target buffers, which later ops on this backend see; returns the host
     * arrays (given back to the loader by {@link #loaded}). The time it waited for the rows is data wait.
     */
    private InputPrefetch.HostSet load(Samples source, long[] ids, int from, int rows, boolean training) {
        long t0 = System.nanoTime();
        // evaluation never takes from the loader: what it holds is the next training step's
        InputPrefetch.HostSet h = training ? prefetch.take(source, ids, from, rows) : null;
        if (h == null) {
            h = own;
            h.gather(source, ids, from, rows);
            h.stage(uploads, rows, schema.input().size(), schema.target().size());
        }
        if (training) {
            dataWaitNanos += System.nanoTime() - t0;
        }
        slot = (slot + 1) % inputs.length;
        uploads.waitFor(slotRead[slot]);   // the step that read this slot last (two loads ago) is done with it
        uploads.upload(h.stagedIn, input().rows(0, rows));   // staged by the loader (or just above)
        uploads.upload(h.stagedTg, target().rows(0, rows));
        h.stagedIn = null;
        h.stagedTg = null;
        uploads.handOver();
        return h;
    }

    /** After the last op that reads the current slot has been queued: marks it, and gives {@code h} back. */
    private void loaded(InputPrefetch.HostSet h) {
        slotRead[slot].record(be);
        if (h != own) {
            prefetch.release(h);
        }   // own's staged rows were uploaded: it is free again
    }

    private Tensor input() { return inputs[slot]; }

    private Tensor target() { return targets[slot]; }

    /**
     * Training loads so far whose rows the loader had gathered ahead ({@code [0]}) and those gathered on the replica's
     * thread because nobody announced them ({@code [1]}: a run's first step, a wrong hint). Call it when no step runs.
     */
    public long[] loadCounts() {
        return new long[] {prefetch.hits(), prefetch.misses()};
    }

    /** Nanoseconds this replica's steps waited for their rows since the last call, and resets them. */
    public long takeDataWaitNanos() {
        long w = dataWaitNanos;
        dataWaitNanos = 0;
        return w;
    }

    /**
     * Forward and backward on global rows {@code [from, from + rows)} of {@code batch}: gathers and uploads them,
     * computes the loss (added to the running training-loss sum) and ACCUMULATES the gradients of
     * {@code gradScale * sum of per-term losses} into the flat gradient buffer, telling {@code gradientsReadyFrom}
     * during backward from which flat offset on the gradients are final (see {@link Backward}). With
     * {@code rows == 0} nothing is computed and it is told 0 at once. Dropout masks are keyed by the global row.
     */
    public void computeGradients(StepBatch batch, int from, int rows, float gradScale, long seed,
                                 LongConsumer gradientsReadyFrom) {
        computeGradients(batch, from, rows, gradScale, seed, gradientsReadyFrom, BatchGroup.LOCAL);
    }

    /**
     * As above, the forward pass sharing batch statistics with {@code group} (a synchronous strategy's replicas, for
     * a synchronised BatchNorm).
     */
    public void computeGradients(StepBatch batch, int from, int rows, float gradScale, long seed,
                                 LongConsumer gradientsReadyFrom, BatchGroup group) {
        if (rows > maxRows) {
            throw new IllegalArgumentException("replica " + rank + " got " + rows + " rows, buffers hold " + maxRows);
        }
        if (rows == 0) {
            params.zeroUnwritten();   // nothing written: the overwritable gradients must read as zeros
            gradientsReadyFrom.accept(0);
            return;
        }
        InputPrefetch.HostSet h = load(batch.source(), batch.ids(), from, rows, true);
        Tensor yb = target().rows(0, rows);
        Tensor out = model.forward(input().rows(0, rows), new ForwardContext(true, seed, from, group));
        Tensor lb = losses.rows(0, rows * termsPerSample);
        objective.loss(be, out, yb, lb);
        long terms = h.tgI != null ? objective.lossTerms(schema.target(), h.tgI, rows) : (long) rows * termsPerSample;
        if (onNonFinite == NonFinitePolicy.SKIP) {
            // a diverged batch must not poison the running loss: left out on the device, terms counted there too
            be.sumFiniteInto(lb, terms, lossSum);
        } else {
            be.sumInto(lb, lossSum.slice(0, 1));
            termsSinceRead += terms;
        }
        Tensor dl = dOut.rows(0, rows);
        objective.gradient(be, out, yb, gradScale, dl);
        model.backward(dl, gradientsReadyFrom);
        loaded(h);
    }

    /**
     * Accumulates the gradients of all of {@code batch}'s rows, {@link #maxRows()} at a time (an asynchronous
     * replica's shard of a step with several micro-batches), without readiness reports.
     */
    public void computeGradientsInChunks(StepBatch batch, float gradScale, long seed) {
        for (int f = 0; f < batch.rows(); f += maxRows) {
            computeGradients(batch, f, Math.min(maxRows, batch.rows() - f), gradScale, seed, Backward.IGNORE);
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
     * Queues one optimizer update with learning rate {@code lr}, clipped to the global norm {@code clipNorm} (0: no
     * clipping) and skipped when a gradient is not finite, all decided on the device ({@link Backend#gradientStats},
     * then the guarded update kernels): no host read, no synchronisation. Clipping and skipping give bit for bit the
     * parameters of {@link GradientClipper#clip} followed by {@link #applyUpdate} on the CPU backend. What was skipped
     * is read by {@link #readChecks}.
     */
    public void applyGuardedUpdate(float lr, float clipNorm) {
        guardedCalls++;
        be.gradientStats(params.gradients(), clipNorm, guardedCalls, gradStats);
        optimizer.guardedStep(params, lr, gradStats);
    }

    /**
     * Reads the device-side checks of the guarded updates since the last read (one small download: call it where
     * metrics are read, never inside a step): updates {@link #skippedUpdates()}, {@link #lastNonFiniteParameter()} and
     * the optimizer's count of applied updates. Under {@link NonFinitePolicy#ABORT}, if an update was skipped since the
     * last read, throws a {@link NonFiniteGradientException} naming the first parameter, whose
     * {@link NonFiniteGradientException#stepsAgo()} says how many updates before this read it was (the training loop
     * turns that into the step). Nothing to do (and no read) when no guarded update ran since the last read.
     */
    public void readChecks() {
        if (guardedCalls == guardedRead) {
            return;
        }
        float[] v = new float[dev.quadrant.device.GradientStats.SIZE];
        be.download(gradStats, v, 0);
        guardedRead = guardedCalls;
        dev.quadrant.device.GradientStats.Read r = dev.quadrant.device.GradientStats.decode(v);
        long before = skippedUpdates;
        optimizer.applied(r.skipped());
        if (r.skipped() == before) {
            return;
        }
        String first = nameAt(r.firstIndex());
        if (onNonFinite == NonFinitePolicy.ABORT) {
            long ago = guardedCalls - r.firstStep();
            throw new NonFiniteGradientException("the gradient of " + first + " is not finite (NaN or infinity) on "
                    + "replica " + rank + " (found by the device-side check, read " + ago + " step"
                    + (ago == 1 ? "" : "s") + " later; that update and any other non-finite one were not applied)",
                    first, rank, ago);
        }
        lastNonFinite = first;
        skippedUpdates = r.skipped(); // only this replica's thread writes it
    }

    /** The parameter whose flat range holds {@code index}, or "(unknown)". */
    private String nameAt(long index) {
        for (dev.quadrant.trainer.nn.ParamLayout.Entry e : params.layout().entries()) {
            if (index >= e.offset() && index < e.offset() + e.size()) {
                return e.name();
            }
        }
        return "(unknown)";
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

    /** Updates skipped so far because of non-finite gradients (device-side ones as of the last {@link #readChecks}). Any thread. */
    public long skippedUpdates() { return skippedUpdates; }

    /**
     * The first non-finite parameter of a skipped update, or null if none was skipped: of the last one checked on the
     * host ({@link #checkGradients}), of the first one for the device-side checks (the device records the first only),
     * as of the last {@link #readChecks}. Any thread.
     */
    public String lastNonFiniteParameter() { return lastNonFinite; }

    /**
     * Sum of per-term training losses since the last call and their number of terms, and resets both; synchronises
     * with the device. Under {@link NonFinitePolicy#SKIP} diverged batches are in neither.
     */
    public double[] takeLoss() {
        float[] v = new float[2];
        be.download(lossSum, v, 0);
        be.fill(lossSum, 0f);
        double terms = onNonFinite == NonFinitePolicy.SKIP ? v[1] : termsSinceRead;
        termsSinceRead = 0;
        return new double[] {v[0], terms};
    }

    /**
     * Evaluates the samples {@code ids} of {@code data} in chunks of at most {@link #maxRows()} (no dropout); returns
     * {loss sum, score sum, loss terms} (the score: correct predictions for a classifier).
     */
    public double[] evaluate(Samples data, long[] ids) {
        params.refreshCopy();   // the parameters may have changed since the last step (consolidation, a load)
        be.fill(evalLoss, 0f);
        be.fill(evalScore, 0f);
        double lossTotal = 0;
        double score = 0;
        long terms = 0;
        float[] v = new float[1];
        for (int start = 0, chunk = 0; start < ids.length; start += maxRows, chunk++) {
            int n = Math.min(maxRows, ids.length - start);
            InputPrefetch.HostSet h = load(data, ids, start, n, false);
            Tensor yb = target().rows(0, n);
            Tensor out = model.forward(input().rows(0, n), ForwardContext.eval());
            Tensor lb = losses.rows(0, n * termsPerSample);
            objective.loss(be, out, yb, lb);
            be.sumInto(lb, evalLoss);
            objective.score(be, out, yb, evalScore);
            loaded(h);
            terms += h.tgI != null ? objective.lossTerms(schema.target(), h.tgI, n) : (long) n * termsPerSample;
            if (chunk % 64 == 63) { // float accumulators: fold into doubles now and then
                be.download(evalLoss, v, 0);
                lossTotal += v[0];
                be.download(evalScore, v, 0);
                score += v[0];
                be.fill(evalLoss, 0f);
                be.fill(evalScore, 0f);
            }
        }
        be.download(evalLoss, v, 0);
        lossTotal += v[0];
        be.download(evalScore, v, 0);
        score += v[0];
        return new double[] {lossTotal, score, terms};
    }

    @Override
    public void close() {
        clock.close();
        model.close();
        optimizer.close();
        params.close();
        prefetch.close();
        uploads.close();
        for (int i = 0; i < inputs.length; i++) {
            inputs[i].close();
            targets[i].close();
            slotRead[i].close();
        }
        dOut.close();
        losses.close();
        lossSum.close();
        gradStats.close();
        evalLoss.close();
        evalScore.close();
        be.close();
    }
}
