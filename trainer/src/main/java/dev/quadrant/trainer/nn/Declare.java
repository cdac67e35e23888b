package dev.quadrant.trainer.nn;

import dev.quadrant.device.DType;

/**
 * Where a module declares its parameters and activation buffers, under its own name (PyTorch style: a module called
 * {@code transformer.h.0.attn} declares {@code weight} as {@code transformer.h.0.attn.weight}). Composites give each
 * child a scope of its own with {@link #child}. Used only while a {@link Model} is built, on one thread.
 */
public final class Declare {
    private final String prefix;
    private final ParamLayout.Builder params;
    private final ActivationPlan.Builder activations;
    private final int[] ids;
    private final boolean[] flags;

    Declare(ParamLayout.Builder params, ActivationPlan.Builder activations) {
        this("", params, activations, new int[1], new boolean[1]);
    }

    private Declare(String prefix, ParamLayout.Builder params, ActivationPlan.Builder activations, int[] ids,
                    boolean[] flags) {
        this.prefix = prefix;
        this.params = params;
        this.activations = activations;
        this.ids = ids;
        this.flags = flags;
    }

    /** The scope of a child module called {@code name} (e.g. {@code layers.0}). */
    public Declare child(String name) {
        return new Declare(prefix + name + ".", params, activations, ids, flags);
    }

    /** This scope's full name, without the trailing dot ("" at the root). */
    public String name() {
        return prefix.isEmpty() ? "" : prefix.substring(0, prefix.length() - 1);
    }

    /** Declares parameter {@code name} of this module; {@code decay}: whether weight decay applies (2-D weights). */
    public ParamRef param(String name, boolean decay, int... shape) {
        String full = prefix + name;
        params.add(full, decay, shape);
        return new ParamRef(full);
    }

    /**
     * Declares non-trainable state {@code name} of this module (a BatchNorm's running statistics): it lives in the
     * flat parameter buffer (saved, restored, broadcast with the parameters), the module writes it in forward, the
     * optimizer leaves it alone.
     */
    public ParamRef state(String name, int... shape) {
        String full = prefix + name;
        params.addState(full, shape);
        return new ParamRef(full);
    }

    /** A parameter declared earlier by another module (tied weights), by its full name. */
    public ParamRef existing(String fullName) {
        if (!params.contains(fullName)) {
            throw new IllegalArgumentException(name() + ": no parameter '" + fullName + "' was declared before it");
        }
        return new ParamRef(fullName);
    }

    /** The shape of a parameter declared so far (by this module or an earlier one), e.g. to check a tied weight. */
    public int[] shape(ParamRef p) { return params.shape(p.name()); }

    /** Flat-buffer offset at which the next declared parameter will start. */
    public long nextParameterOffset() { return params.size(); }

    /** A buffer that lives from forward to backward, {@code [rows, ...perSample]}. */
    public ActivationRef saved(String name, DType dtype, int... perSample) {
        return slot(name, ActivationPlan.Kind.SAVED, dtype, perSample);
    }

    /**
     * A buffer of shape {@code shape} whatever the batch size, living from forward to backward (a BatchNorm's
     * per-channel sums).
     */
    public ActivationRef statistics(String name, DType dtype, int... shape) {
        return new ActivationRef(activations.add(name(), prefix + name, ActivationPlan.Kind.SAVED, dtype, shape, true));
    }

    /** Marks the model as one whose forward shares batch statistics across a {@link BatchGroup}. */
    public void usesBatchGroup() { flags[0] = true; }

    /** Whether any module called {@link #usesBatchGroup}. */
    boolean batchGroupUsed() { return flags[0]; }

    /** A buffer for the input gradient passed down in backward, {@code [rows, ...perSample]}. */
    public ActivationRef gradient(String name, DType dtype, int... perSample) {
        return slot(name, ActivationPlan.Kind.GRADIENT, dtype, perSample);
    }

    /** A buffer used only within one forward or backward call of this (leaf) module. */
    public ActivationRef scratch(String name, DType dtype, int... perSample) {
        return slot(name, ActivationPlan.Kind.SCRATCH, dtype, perSample);
    }

    /** A number unique to each call in the model (dropout modules key their masks by it). */
    public int uniqueId() { return ids[0]++; }

    /**
     * A convolution's column matrix, {@code [rows, ...perSample]} FLOAT32, SAVED or SCRATCH: placed only for backends
     * whose convolution uses it ({@link dev.quadrant.device.Backend#convolutionUsesColumns}); elsewhere
     * {@link Bind#tensor} gives null for it.
     */
    public ActivationRef columns(String name, ActivationPlan.Kind kind, int... perSample) {
        return new ActivationRef(activations.add(name(), prefix + name, kind, DType.FLOAT32, perSample, false, true));
    }

    /**
     * A GEMM input rounded to bf16, {@code [rows, ...perSample]} BF16, SAVED or SCRATCH: placed only for backends whose
     * GEMMs round their operands to bf16 ({@link dev.quadrant.device.Backend#gemmRoundsToBf16}), so that an activation
     * two GEMMs read is cast once and kept at half the size; elsewhere {@link Bind#tensor} gives null for it.
     */
    public ActivationRef bf16Operand(String name, ActivationPlan.Kind kind, int... perSample) {
        return new ActivationRef(activations.add(name(), prefix + name, kind, DType.BF16, perSample, false, false,
                true));
    }

    private ActivationRef slot(String name, ActivationPlan.Kind kind, DType dtype, int[] perSample) {
        return new ActivationRef(activations.add(name(), prefix + name, kind, dtype, perSample));
    }
}
