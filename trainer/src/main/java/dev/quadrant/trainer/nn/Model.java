package dev.quadrant.trainer.nn;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * A module tree with its input, its parameter layout and its activation plan: what one replica trains. Built once
 * from a root module and the per-sample shape and dtype of the input (e.g. {@code F32 [784]} for an MLP,
 * {@code I32 [64]} token ids for a GPT); {@link #bind} then gives it a backend, the flat parameter and gradient
 * buffers and one activation arena per dtype for at most {@code rows} samples.
 *
 * <pre>{@code
 * Model m = new Model(new Sequential(List.of(new Linear(256), new Act(Activation.RELU), new Linear(10))),
 *                     new int[] {784}, DType.FLOAT32);
 * Parameters p = new Parameters(backend, m.layout());
 * m.bind(backend, p, 128);
 * Tensor logits = m.forward(x, ForwardContext.eval());   // [rows, 10]
 * }</pre>
 *
 * <p>Belongs to one replica; closes its arenas, not the parameters.
 */
public final class Model implements AutoCloseable {
    private final Module root;
    private final int[] inputShape;
    private final DType inputDtype;
    private final int[] outputShape;
    private final ParamLayout layout;
    private final boolean sharesBatchStatistics;
    private final ActivationPlan.Builder activations;
    private final Map<DType, Tensor> arenas = new EnumMap<>(DType.class);
    private ActivationPlan plan;
    private Parameters bound;   // since bind: backward zeroes its unwritten overwritable gradients

    public Model(Module root, int[] inputShape, DType inputDtype) {
        this.root = root;
        this.inputShape = inputShape.clone();
        this.inputDtype = inputDtype;
        ParamLayout.Builder params = new ParamLayout.Builder();
        this.activations = new ActivationPlan.Builder();
        Declare d = new Declare(params, activations);
        this.outputShape = root.declare(d, this.inputShape).clone();
        this.layout = params.build();
        this.sharesBatchStatistics = d.batchGroupUsed();
    }

    /**
     * Whether the forward pass shares batch statistics across the replicas of a {@link BatchGroup} (a synchronised
     * BatchNorm): then every replica of a synchronous step must have rows.
     */
    public boolean sharesBatchStatistics() { return sharesBatchStatistics; }

    public Module root() { return root; }

    public ParamLayout layout() { return layout; }

    /** Per-sample input shape. */
    public int[] inputShape() { return inputShape.clone(); }

    public DType inputDtype() { return inputDtype; }

    /** Per-sample output shape. */
    public int[] outputShape() { return outputShape.clone(); }

    /** The activation plan for batches of at most {@code rows} samples (exact sizes; nothing is allocated). */
    public ActivationPlan plan(int rows) { return activations.build(rows); }

    /**
     * The plan for {@code rows} samples on a backend whose convolution does or does not use its column buffers
     * ({@link Backend#convolutionUsesColumns}): without them, those buffers take no space.
     */
    public ActivationPlan plan(int rows, boolean convolutionColumns) { return activations.build(rows, convolutionColumns); }

    /**
     * As above, on a backend whose GEMMs do or do not round their operands to bf16
     * ({@link Backend#gemmRoundsToBf16}): without, the bf16 operand buffers ({@link Declare#bf16Operand}) take no space.
     */
    public ActivationPlan plan(int rows, boolean convolutionColumns, boolean bf16Operands) {
        return activations.build(rows, convolutionColumns, bf16Operands);
    }

    /** The plan in use since {@link #bind}, or null before. */
    public ActivationPlan boundPlan() { return plan; }

    /** Seeded initial values of the whole flat parameter buffer ({@code weights}: the initializer of weight matrices). */
    public float[] initialValues(long seed, Initializer weights) {
        float[] flat = new float[Math.toIntExact(layout.totalSize())];
        root.initialize(new Init(flat, layout, new SplittableRandom(seed), weights));
        return flat;
    }

    /** Allocates the activation arenas for {@code rows} samples and binds every module. */
    public void bind(Backend backend, Parameters params, int rows) {
        if (params.layout() != layout) {
            throw new IllegalArgumentException("parameters were made for another layout");
        }
        if (plan != null) {
            throw new IllegalStateException("model is already bound");
        }
        ActivationPlan p = plan(rows, backend.convolutionUsesColumns(), backend.gemmRoundsToBf16());
        if (backend.device().kind() == dev.quadrant.device.Device.Kind.CPU) {
            for (DType t : DType.values()) {   // a CPU tensor is one direct buffer: at most 2 GiB
                long bytes = p.arenaElements(t) * t.bytes();
                if (bytes > Integer.MAX_VALUE) {
                    long fit = Math.max(1, (long) rows * Integer.MAX_VALUE / bytes);
                    throw new dev.quadrant.device.UserInputException("the activations of " + rows + " rows of this model"
                            + " need " + bytes / (1 << 20) + " MiB of " + t + " in one buffer, over the CPU backend's"
                            + " 2048 MiB: use a --batch of at most " + fit + " rows per replica (or more replicas)");
                }
            }
        }
        plan = p;
        bound = params;
        for (DType t : DType.values()) {
            long n = plan.arenaElements(t);
            if (n > 0) {
                arenas.put(t, backend.allocate(t, Math.toIntExact(n)));
            }
        }
        root.bind(new Bind(backend, params, plan, arenas));
    }

    /** Forward on {@code x [rows, ...inputShape]}; returns {@code [rows, ...outputShape]}. */
    public Tensor forward(Tensor x, ForwardContext ctx) {
        int[] s = x.shape();
        if (x.dtype() != inputDtype || s.length != inputShape.length + 1
                || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), inputShape)) {
            throw new IllegalArgumentException("model input must be " + inputDtype + " [rows, "
                    + Arrays.toString(inputShape).replaceAll("[\\[\\]]", "") + "], got " + x.dtype() + " "
                    + Arrays.toString(s));
        }
        if (s[0] > plan.rows()) {
            throw new IllegalArgumentException("batch of " + s[0] + " rows, the model was bound for " + plan.rows());
        }
        return root.forward(x, ctx);
    }

    /**
     * Backward from {@code dOut [rows, ...outputShape]}: accumulates every parameter gradient; tells {@code ready}
     * from which flat offset on the gradients are final as backward goes (see {@link Backward}).
     */
    public void backward(Tensor dOut, java.util.function.LongConsumer ready) {
        root.backward(dOut, new Backward(false, ready));
        bound.zeroUnwritten();   // an overwritable gradient no module wrote reads as zero before anyone uses it
        ready.accept(0);
    }

    /** One line per module, the tree indented. */
    public String describe() { return root.describe(); }

    @Override
    public void close() {
        for (Tensor t : arenas.values()) {
            t.close();
        }
        arenas.clear();
    }
}
