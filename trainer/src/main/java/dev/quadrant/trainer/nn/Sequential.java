package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * Layers applied in order, with parameters named like PyTorch's {@code nn.Sequential} inside a module attribute
 * {@code layers}: {@code layers.<index>.weight}. One instance belongs to one replica; build one per replica from a
 * {@link ModelSpec}.
 *
 * <pre>{@code
 * Sequential m = ModelSpec.parse("mlp:256").build(784, 10, Activation.RELU, 0f);
 * m.bind(backend, params, 128);
 * Tensor logits = m.forward(x, ForwardContext.eval());
 * }</pre>
 */
public final class Sequential implements AutoCloseable {
    private final List<Layer> layers;
    private final int inFeatures;
    private final int[] widths; // widths[i] = input features of layer i; widths[n] = output features
    private final ParamLayout layout;

    public Sequential(int inFeatures, List<Layer> layers) {
        this.layers = List.copyOf(layers);
        this.inFeatures = inFeatures;
        this.widths = new int[layers.size() + 1];
        widths[0] = inFeatures;
        ParamLayout.Builder b = new ParamLayout.Builder();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).declare(b, prefix(i), widths[i]);
            widths[i + 1] = layers.get(i).outFeatures(widths[i]);
        }
        this.layout = b.build();
    }

    private static String prefix(int i) { return "layers." + i + "."; }

    public ParamLayout layout() { return layout; }

    public int inFeatures() { return inFeatures; }

    public int outFeatures() { return widths[widths.length - 1]; }

    public List<Layer> layers() { return layers; }

    /** Fills a host copy of the flat parameter buffer with seeded initial values (layer by layer, in order). */
    public float[] initialValues(long seed, Initializer init) {
        float[] flat = new float[Math.toIntExact(layout.totalSize())];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).initialize(flat, layout, prefix(i), init, rng.split());
        }
        return flat;
    }

    /** Binds every layer to {@code backend} with parameter views from {@code params}, for batches of at most {@code maxRows}. */
    public void bind(Backend backend, Parameters params, int maxRows) {
        if (params.layout() != layout) {
            throw new IllegalArgumentException("parameters were made for another layout");
        }
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).bind(backend, params, prefix(i), maxRows, widths[i]);
        }
    }

    /** Forward through every layer; layer {@code i} gets seed {@code ctx.seed() + i} for its dropout. */
    public Tensor forward(Tensor x, ForwardContext ctx) {
        if (x.rank() != 2 || x.dim(1) != inFeatures) {
            throw new IllegalArgumentException("model input must be [rows, " + inFeatures + "], got " + java.util.Arrays.toString(x.shape()));
        }
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(h, new ForwardContext(ctx.training(), ctx.seed() * 31 + i));
        }
        return h;
    }

    /** Backward from the loss gradient {@code dOut [rows, out]}; writes every parameter gradient. No input gradient. */
    public void backward(Tensor dOut) {
        backward(dOut, from -> { });
    }

    /**
     * Backward, telling {@code gradientsReadyFrom} after each layer with parameters the lowest flat-buffer offset from
     * which every gradient is now final (backward runs from the last layer to the first, and the layout is in forward
     * order, so the final region grows downwards). Gradient buckets are all-reduced from this signal while backward
     * goes on.
     */
    public void backward(Tensor dOut, java.util.function.LongConsumer gradientsReadyFrom) {
        Tensor d = dOut;
        int firstWithParams = firstLayerWithParameters();
        for (int i = layers.size() - 1; i >= 0 && i >= firstWithParams; i--) {
            d = layers.get(i).backward(d, i > firstWithParams);
            long first = firstParameterOffset(i);
            if (first >= 0) {
                gradientsReadyFrom.accept(first);
            }
        }
    }

    private long firstParameterOffset(int layer) {
        String p = prefix(layer);
        for (ParamLayout.Entry e : layout.entries()) {
            if (e.name().startsWith(p)) {
                return e.offset();
            }
        }
        return -1;
    }

    private int firstLayerWithParameters() {
        for (int i = 0; i < layers.size(); i++) {
            String p = prefix(i);
            if (layout.entries().stream().anyMatch(e -> e.name().startsWith(p))) {
                return i;
            }
        }
        return layers.size();
    }

    /** One line per layer, e.g. {@code Linear(784 -> 256)}. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            out.add("layers." + i + ": " + layers.get(i).describe(widths[i]));
        }
        return out;
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            l.close();
        }
    }
}
