package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * The flat parameter and gradient buffers of one model replica, with views per layout entry; and, on a backend whose
 * GEMMs round to bfloat16 ({@link Backend#gemmRoundsToBf16}), a flat BF16 copy of the parameters (the fp32 buffer
 * stays the master that the optimizer updates), which the layers pass to their GEMMs ({@link #gemmValue}): the
 * products are those of the fp32 weights rounded per call, bit for bit, without a cast per GEMM. The optimizer writes
 * the copy in its update kernel ({@link #copyForUpdate}); any other writer of the parameters gets them through
 * {@link #values()}, which marks the copy stale, and {@link #refreshCopy} (called by {@code Replica} at the start of
 * each step and of each evaluation, after every writer) casts it again only then.
 *
 * <p>Gradients are zeroed per step by {@link #beginStep}, but only those whose writers accumulate. A module that binds
 * a gradient through {@link Bind#overwritableGradient} gets a {@link GradientSink} whose {@link GradientSink#beta} is
 * 0 on the step's first write (a GEMM with beta 0, a column sum with beta 0: the old contents are not read) and 1
 * after (gradient accumulation over micro-batches, a weight written by two modules): such a gradient is never filled
 * with zeros only to be overwritten (an MLP's whole gradient buffer: one memory pass of the step less, and its GEMMs
 * do not read C). A gradient that any writer binds through {@link Bind#gradient} (it accumulates: a scatter-add, a
 * convolution's backward) is zeroed by {@link #beginStep} as before, and its sinks then always say 1. After each
 * backward, {@link #zeroUnwritten} zeroes an overwritable gradient that no module wrote (no rows this micro-batch), so
 * every gradient reads as before: exactly the sum over the step's micro-batches. With the system property
 * {@value #POISON_PROPERTY} set to {@code true} (the test suites do), {@link #beginStep} fills the overwritable
 * gradients with NaN instead of leaving them alone, so a writer that accumulates onto them without asking its sink
 * fails the tests' finiteness checks instead of passing on stale zeros.
 *
 * <p>Owns its buffers and closes them. Not thread-safe: belongs to one replica.
 */
public final class Parameters implements AutoCloseable {
    private final ParamLayout layout;
    private final Backend backend;
    private final Tensor values;     // [P]
    private final Tensor gradients;  // [P]
    private final Tensor copy;       // [P] BF16, or null where GEMMs multiply fp32
    private boolean copyFresh;       // the copy holds the values rounded (the last writer was the fused update)

    /** System property: fill the overwritable gradients with NaN at {@link #beginStep} (a test-suite check). */
    public static final String POISON_PROPERTY = "quadrant.poisonGradients";
    private static final boolean POISON = Boolean.getBoolean(POISON_PROPERTY);

    private final Map<String, Integer> index = new HashMap<>();   // entry name -> position
    private final boolean[] overwritable; // some writer binds it through a GradientSink
    private final boolean[] accumulated;  // some writer binds it plainly: zeroed by beginStep, sinks say 1
    private final long[] writtenIn;       // the step in which a sink last wrote it
    private long step;                    // counts beginStep calls
    private long[][] zeroRuns;            // [from, length] flat ranges beginStep zeroes (null: recompute)
    private long[][] lazyRuns;            // the overwritable ones, which it poisons (null with zeroRuns)

    public Parameters(Backend backend, ParamLayout layout) {
        this(backend, layout, backend.gemmRoundsToBf16());
    }

    /** As above, with ({@code bf16Copy}) or without the bf16 copy whatever the backend. */
    public Parameters(Backend backend, ParamLayout layout, boolean bf16Copy) {
        this.layout = layout;
        this.backend = backend;
        int p = Math.toIntExact(layout.totalSize());
        this.values = backend.allocate(DType.FLOAT32, p);
        this.gradients = backend.allocate(DType.FLOAT32, p);
        this.copy = bf16Copy ? backend.allocate(DType.BF16, p) : null;
        int n = layout.entries().size();
        for (int i = 0; i < n; i++) {
            index.put(layout.entries().get(i).name(), i);
        }
        this.overwritable = new boolean[n];
        this.accumulated = new boolean[n];
        this.writtenIn = new long[n];
        Arrays.fill(writtenIn, -1);
    }

    public ParamLayout layout() { return layout; }

    /**
     * The flat parameter buffer, {@code [P]}. Whoever takes it may write it: the bf16 copy, if any, counts as stale
     * until the next {@link #refreshCopy}.
     */
    public Tensor values() {
        copyFresh = false;
        return values;
    }

    /**
     * For the optimizer, whose update writes the parameters and their bf16 copy in one pass: the flat buffer (not
     * marking the copy stale) and, through {@code copy}, the copy (null without one). Call {@link #copyWritten} once
     * the update is queued.
     */
    public Tensor valuesForUpdate() { return values; }

    /** The bf16 copy, {@code [P]} BF16, or null. */
    public Tensor copyForUpdate() { return copy; }

    /** The optimizer queued an update that wrote the copy too (a skipped update writes neither): it is fresh. */
    public void copyWritten() {
        copyFresh = copy != null;
    }

    /** The flat gradient buffer, {@code [P]}. */
    public Tensor gradients() { return gradients; }

    /** Whether there is a bf16 copy ({@link #gemmValue} hands it out). */
    public boolean hasCopy() { return copy != null; }

    /** View of parameter {@code name} with its shape. */
    public Tensor value(String name) {
        ParamLayout.Entry e = layout.entry(name);
        return values.view(e.offset(), e.shape());
    }

    /**
     * What a layer passes to {@link Backend#gemm} for parameter {@code name}: its view of the bf16 copy where there is
     * one, else {@link #value}.
     */
    public Tensor gemmValue(String name) {
        if (copy == null) {
            return value(name);
        }
        ParamLayout.Entry e = layout.entry(name);
        return copy.view(e.offset(), e.shape());
    }

    /**
     * Casts the fp32 parameters into the bf16 copy (one kernel over the flat buffer) unless the last writer was the
     * optimizer's update, which wrote it; nothing without a copy.
     */
    public void refreshCopy() {
        if (copy != null && !copyFresh) {
            backend.castToBf16(values, copy);
            copyFresh = true;
        }
    }

    /** View of the gradient of {@code name} with its shape (to read; a module's writes go through {@link Bind}). */
    public Tensor gradient(String name) {
        ParamLayout.Entry e = layout.entry(name);
        return gradients.view(e.offset(), e.shape());
    }

    /** The gradient of {@code name} for a writer that accumulates into it: {@link #beginStep} zeroes it. */
    Tensor accumulatingGradient(String name) {
        accumulated[position(name)] = true;
        zeroRuns = null;
        lazyRuns = null;
        return gradient(name);
    }

    /** The gradient of {@code name} for a writer that overwrites on its first write of a step. */
    GradientSink overwritableGradient(String name) {
        int i = position(name);
        overwritable[i] = true;
        zeroRuns = null;
        lazyRuns = null;
        return new GradientSink(this, i, gradient(name));
    }

    /** The beta of entry {@code i}'s next write: 0 for the first write of this step by a sink, else 1. */
    float betaFor(int i) {
        if (!lazy(i) || writtenIn[i] == step) {
            return 1f;
        }
        writtenIn[i] = step;
        return 0f;
    }

    /**
     * Starts a step's gradients (instead of zeroing the whole buffer): zeroes the gradients that writers accumulate
     * into, and the state entries and any gradient nobody binds; leaves the overwritable ones to their first writer
     * (or fills them with NaN under {@value #POISON_PROPERTY}).
     */
    public void beginStep() {
        step++;
        if (zeroRuns == null) {
            zeroRuns = runs(false);
            lazyRuns = runs(true);
        }
        for (long[] r : zeroRuns) {
            backend.fill(gradients.slice(r[0], Math.toIntExact(r[1])), 0f);
        }
        if (POISON) {
            for (long[] r : lazyRuns) {
                backend.fill(gradients.slice(r[0], Math.toIntExact(r[1])), Float.NaN);
            }
        }
    }

    /**
     * Zeroes each overwritable gradient that no sink wrote since {@link #beginStep} (a backward with no rows, a module
     * that did not run), so it reads as a zero gradient; call it after each backward, before its gradients are used.
     */
    public void zeroUnwritten() {
        List<ParamLayout.Entry> es = layout.entries();
        for (int i = 0; i < es.size(); i++) {
            if (lazy(i) && writtenIn[i] != step) {
                backend.fill(gradients.slice(es.get(i).offset(), Math.toIntExact(es.get(i).size())), 0f);
                writtenIn[i] = step;
            }
        }
    }

    /** Flat ranges, adjacent entries merged: of the overwritable gradients ({@code lazy}) or of all others. */
    private long[][] runs(boolean lazy) {
        List<long[]> out = new ArrayList<>();
        List<ParamLayout.Entry> es = layout.entries();
        for (int i = 0; i < es.size(); i++) {
            if (lazy(i) != lazy || es.get(i).size() == 0) {
                continue;
            }
            long from = es.get(i).offset();
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last[0] + last[1] == from) {
                last[1] += es.get(i).size();
            } else {
                out.add(new long[] {from, es.get(i).size()});
            }
        }
        if (!lazy) {   // the tail beyond the last entry, if the layout pads
            long end = es.isEmpty() ? 0 : es.get(es.size() - 1).offset() + es.get(es.size() - 1).size();
            if (end < gradients.size()) {
                out.add(new long[] {end, gradients.size() - end});
            }
        }
        return out.toArray(new long[0][]);
    }

    /** Entry {@code i} is left to its first writer: bound through a sink, and by no accumulating writer. */
    private boolean lazy(int i) {
        return overwritable[i] && !accumulated[i];
    }

    private int position(String name) {
        Integer i = index.get(name);
        if (i == null) {
            layout.entry(name);   // throws the layout's message for an unknown name
            throw new IllegalArgumentException("no parameter " + name);
        }
        return i;
    }

    @Override
    public void close() {
        values.close();
        gradients.close();
        if (copy != null) {
            copy.close();
        }
    }
}
