package dev.quadrant.trainer.nn;

import java.util.SplittableRandom;

/**
 * Writes a module's initial parameter values into the host copy of the flat parameter buffer, from the module's own
 * seeded generator (each module of a composite gets the next {@link SplittableRandom#split()} of its parent's, in
 * declaration order, so values depend only on the seed and the model). Used on one thread.
 */
public final class Init {
    private final float[] flat;
    private final ParamLayout layout;
    private final SplittableRandom rng;
    private final Initializer weights;

    Init(float[] flat, ParamLayout layout, SplittableRandom rng, Initializer weights) {
        this.flat = flat;
        this.layout = layout;
        this.rng = rng;
        this.weights = weights;
    }

    /** The context of the next child module (a split of this generator). */
    public Init child() {
        return new Init(flat, layout, rng.split(), weights);
    }

    /** The generator of this module. */
    public SplittableRandom rng() { return rng; }

    /** The initializer chosen for weight matrices ({@code --init}: He or Xavier). */
    public Initializer weights() { return weights; }

    /** How a weight matrix starts. */
    public sealed interface Weights {
        /** The model's {@code --init} initializer (He or Xavier by fan-in and fan-out). */
        Weights DEFAULT = new ModelDefault();

        /** See {@link #DEFAULT}. */
        record ModelDefault() implements Weights {}

        /** Normal with mean 0 and this standard deviation (GPT-2: 0.02, residual projections scaled down). */
        record Normal(double std) implements Weights {}
    }

    /**
     * Fills a weight {@code [fanOut, ...]} with the chosen {@link #weights()} initializer, the fan-in being the product
     * of the other dimensions: {@code in} for a Linear's {@code [out, in]}, {@code in * kh * kw} for a convolution's
     * {@code [out, in, kh, kw]} (PyTorch's fan-in). The fan-out is {@code shape[0]} (Xavier on a convolution thus uses
     * {@code out} where PyTorch uses {@code out * kh * kw}).
     */
    public void weight(ParamRef p) {
        ParamLayout.Entry e = layout.entry(p.name());
        int fanOut = e.shape()[0];
        weights.fill(flat, Math.toIntExact(e.offset()), Math.toIntExact(e.size() / fanOut), fanOut, rng);
    }

    /** Fills a weight as {@code how} says. */
    public void weight(ParamRef p, Weights how) {
        if (how instanceof Weights.Normal n) {
            normal(p, n.std());
        } else {
            weight(p);
        }
    }

    /** Normal values with mean 0 and standard deviation {@code std} (GPT-2's 0.02). */
    public void normal(ParamRef p, double std) {
        ParamLayout.Entry e = layout.entry(p.name());
        int from = Math.toIntExact(e.offset());
        for (int i = 0; i < e.size(); i++) {
            flat[from + i] = (float) (Initializer.gaussian(rng) * std);
        }
    }

    /** Every element set to {@code value} (LayerNorm's gain: 1). */
    public void fill(ParamRef p, float value) {
        ParamLayout.Entry e = layout.entry(p.name());
        int from = Math.toIntExact(e.offset());
        java.util.Arrays.fill(flat, from, from + Math.toIntExact(e.size()), value);
    }
}
