package dev.quadrant.trainer.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.nn.ParamLayout;
import dev.quadrant.trainer.nn.Parameters;

/**
 * A fused optimizer update over a replica's flat parameter buffer. State (velocity, or Adam's first and second
 * moments) lives in flat buffers with the parameters' layout. Weight decay applies to entries flagged {@code decay}
 * (weights) and not to biases; non-trainable state (running statistics) is skipped; the update runs once per maximal run of entries with the same flag (2 calls per
 * Linear layer).
 *
 * <p>Belongs to one replica; not thread-safe.
 *
 * <pre>{@code
 * Optimizer opt = new Optimizer(backend, layout, OptimizerConfig.of(OptimizerKind.ADAM, 1e-3f, 0f));
 * opt.step(params, schedule.at(step));
 * }</pre>
 */
public final class Optimizer implements AutoCloseable {
    private final Backend be;
    private final OptimizerConfig cfg;
    private final List<long[]> groups = new ArrayList<>(); // {offset, length, decay ? 1 : 0}
    private final Tensor state1; // velocity or m, [P]; null for plain SGD
    private final Tensor state2; // v for Adam, [P]
    private int steps;

    public Optimizer(Backend backend, ParamLayout layout, OptimizerConfig cfg) {
        this.be = backend;
        this.cfg = cfg;
        int p = Math.toIntExact(layout.totalSize());
        this.state1 = cfg.kind() == OptimizerKind.SGD ? null : backend.allocate(DType.FLOAT32, p);
        this.state2 = cfg.kind().isAdam() ? backend.allocate(DType.FLOAT32, p) : null;
        for (ParamLayout.Entry e : layout.entries()) {
            if (!e.trainable()) {
                continue;   // non-trainable state (running statistics): its owner writes it, never the optimizer
            }
            // without weight decay every group gets the same arguments: one update call over adjacent entries (an
            // MLP's weights and biases alternate; 6 calls were 6 hand-offs to the CPU pool, 6 launches on a GPU)
            boolean decay = e.decay() && cfg.weightDecay() != 0f;
            long[] last = groups.isEmpty() ? null : groups.get(groups.size() - 1);
            if (last != null && (last[2] == 1) == decay && last[0] + last[1] == e.offset()) {
                last[1] += e.size();
            } else {
                groups.add(new long[] {e.offset(), e.size(), decay ? 1 : 0});
            }
        }
    }

    public OptimizerConfig config() { return cfg; }

    /** Number of updates applied so far. */
    public int steps() { return steps; }

    /** Applies one update with learning rate {@code lr} using the gradients in {@code params}. */
    public void step(Parameters params, float lr) {
        steps++;
        update(be, params.valuesForUpdate(), params.gradients(), lr, steps, null, params.copyForUpdate());
        params.copyWritten();
    }

    /**
     * Queues one update guarded by the device tensor {@code stats} ({@link dev.quadrant.device.GradientStats}, from
     * {@code Backend.gradientStats} over the whole gradient buffer): the kernels clip by its factor and change nothing
     * when it flags a non-finite gradient, with no host read. The call is counted in {@link #steps()} either way;
     * {@link #applied(long)} takes out the skipped ones once the host has read their number.
     */
    public void guardedStep(Parameters params, float lr, dev.quadrant.device.Tensor stats) {
        steps++;
        update(be, params.valuesForUpdate(), params.gradients(), lr, steps + skippedFolded, stats,   // calls, skipped included
                params.copyForUpdate());
        params.copyWritten();
    }

    private long skippedFolded;

    /**
     * Tells the optimizer that {@code skipped} guarded calls so far (read from its statistics tensor) changed nothing:
     * {@link #steps()} then counts only applied updates (what checkpoints store), as the host-side check counted them.
     * The device keeps subtracting its own count, so the call numbers passed on are corrected by the same amount.
     */
    public void applied(long skipped) {
        long newly = skipped - skippedFolded;
        if (newly < 0) {
            throw new IllegalArgumentException("skipped updates went down from " + skippedFolded + " to " + skipped);
        }
        steps -= Math.toIntExact(newly);
        skippedFolded = skipped;
    }

    /**
     * Applies one update of this optimizer's state to flat {@code values} with flat {@code grads} (both with this
     * optimizer's layout), computed by {@code backend}, with update number {@code step} (from 1). For a shared
     * parameter server that several workers update at once (Hogwild): the caller supplies its own backend and step
     * number, and updates of different callers may interleave.
     */
    public void update(Backend backend, Tensor w, Tensor g, float lr, int step) {
        update(backend, w, g, lr, step, null);
    }

    /** As above, guarded by a {@link dev.quadrant.device.GradientStats} tensor (null: unguarded). */
    public void update(Backend backend, Tensor w, Tensor g, float lr, long step, Tensor guard) {
        update(backend, w, g, lr, step, guard, null);
    }

    /** As above, also writing {@code copy} (BF16 {@code [P]}, null: none), the bf16 copy of {@code w}, in the update. */
    public void update(Backend backend, Tensor w, Tensor g, float lr, long step, Tensor guard, Tensor copy) {
        int call = Math.toIntExact(step);
        for (long[] grp : groups) {
            long off = grp[0];
            int len = Math.toIntExact(grp[1]);
            float wd = grp[2] == 1 ? cfg.weightDecay() : 0f;
            Tensor wv = w.slice(off, len);
            Tensor gv = g.slice(off, len);
            Tensor cv = copy == null ? null : copy.slice(off, len);
            switch (cfg.kind()) {
                case SGD -> backend.sgdUpdate(wv, gv, null, lr, 0f, false, wd, guard, cv);
                case MOMENTUM -> backend.sgdUpdate(wv, gv, state1.slice(off, len), lr, cfg.momentum(), false, wd, guard,
                        cv);
                case NESTEROV -> backend.sgdUpdate(wv, gv, state1.slice(off, len), lr, cfg.momentum(), true, wd, guard,
                        cv);
                case ADAM, ADAMW -> backend.adamUpdate(wv, gv, state1.slice(off, len), state2.slice(off, len), lr,
                        cfg.beta1(), cfg.beta2(), cfg.eps(), wd, cfg.kind() == OptimizerKind.ADAMW, call, guard, cv);
            }
        }
    }

    /** Named state buffers (for checkpoints): {@code momentum}, or {@code adam.m} and {@code adam.v}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        if (cfg.kind().isAdam()) {
            m.put("adam.m", state1);
            m.put("adam.v", state2);
        } else if (state1 != null) {
            m.put("momentum", state1);
        }
        return m;
    }

    /**
     * Host copies of the state buffers, named as in {@link #state()}, each of the layout's total size (for
     * checkpoints; synchronises with the device).
     */
    public Map<String, float[]> downloadState() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state().entrySet()) {
            float[] v = new float[e.getValue().intSize()];
            be.download(e.getValue(), v, 0);
            out.put(e.getKey(), v);
        }
        return out;
    }

    /**
     * Sets the state buffers from host copies named as in {@link #state()} (from {@link #downloadState()} of an
     * optimizer of the same kind and layout, possibly on another device).
     *
     * @throws IllegalArgumentException if a name is missing or extra, or a length differs
     */
    public void uploadState(Map<String, float[]> values) {
        Map<String, Tensor> mine = state();
        if (!mine.keySet().equals(values.keySet())) {
            throw new IllegalArgumentException(cfg.kind() + " optimizer state is " + mine.keySet() + ", got "
                    + values.keySet());
        }
        for (Map.Entry<String, Tensor> e : mine.entrySet()) {
            float[] v = values.get(e.getKey());
            if (v.length != e.getValue().intSize()) {
                throw new IllegalArgumentException("optimizer state " + e.getKey() + " has " + e.getValue().intSize()
                        + " values, got " + v.length);
            }
            be.upload(v, 0, e.getValue());
        }
    }

    /** Restores the update counter (Adam's bias correction depends on it). */
    public void setSteps(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("optimizer step count must be >= 0, got " + steps);
        }
        this.steps = steps;
    }

    @Override
    public void close() {
        if (state1 != null) {
            state1.close();
        }
        if (state2 != null) {
            state2.close();
        }
    }
}
