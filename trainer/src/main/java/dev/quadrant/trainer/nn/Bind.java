package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * What a module binds to: the replica's backend, views of its parameters and gradients in the flat buffers, and its
 * planned activation buffers in the replica's arenas. Used only while a {@link Model} is bound, on one thread.
 */
public final class Bind {
    private final Backend backend;
    private final Parameters params;
    private final ActivationPlan plan;
    private final java.util.Map<DType, Tensor> arenas;

    Bind(Backend backend, Parameters params, ActivationPlan plan, java.util.Map<DType, Tensor> arenas) {
        this.backend = backend;
        this.params = params;
        this.plan = plan;
        this.arenas = arenas;
    }

    public Backend backend() { return backend; }

    /** The parameter's values, with its shape. */
    public Tensor value(ParamRef p) { return params.value(p.name()); }

    /**
     * The parameter as a GEMM operand: its view of the bf16 copy on a backend whose GEMMs round to bf16, else
     * {@link #value} (see {@link Parameters#gemmValue}).
     */
    public Tensor gemmValue(ParamRef p) { return params.gemmValue(p.name()); }

    /**
     * The parameter's gradient, with its shape, for a module that ACCUMULATES into it (a scatter-add, a backend op
     * that adds): it is zeroed at the start of every step ({@link Parameters#beginStep}).
     */
    public Tensor gradient(ParamRef p) { return params.accumulatingGradient(p.name()); }

    /**
     * The parameter's gradient for a module that can overwrite it on the step's first write: each write uses
     * {@link GradientSink#beta} (0 first, then 1), and the step skips zeroing it (see {@link Parameters}).
     */
    public GradientSink overwritableGradient(ParamRef p) { return params.overwritableGradient(p.name()); }

    /** Flat-buffer offset of a parameter. */
    public long offset(ParamRef p) { return params.layout().entry(p.name()).offset(); }

    /**
     * The buffer, {@code [rows, ...perSample]} for the plan's rows (forward and backward take {@code rows(0, n)}), or
     * its own shape for a fixed buffer ({@link Declare#statistics}).
     */
    public Tensor tensor(ActivationRef ref) {
        ActivationPlan.Slot s = plan.slots().get(ref.index());
        if (s.absent()) {   // a convolution's columns, or a bf16 operand, on a backend that does not use it
            return null;
        }
        int[] perSample = s.perSample();
        if (s.fixed()) {
            return arenas.get(s.dtype()).view(s.offset(), perSample);
        }
        int[] shape = new int[perSample.length + 1];
        shape[0] = plan.rows();
        System.arraycopy(perSample, 0, shape, 1, perSample.length);
        return arenas.get(s.dtype()).view(s.offset(), shape);
    }
}
