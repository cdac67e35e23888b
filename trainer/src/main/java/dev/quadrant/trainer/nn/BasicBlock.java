package dev.quadrant.trainer.nn;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * A ResNet basic block (He et al. 2015; torchvision's {@code BasicBlock}): {@code y = f(main(x) + shortcut(x))} with
 * {@code main} = conv 3x3 (stride s) - norm - f - conv 3x3 - norm, and {@code shortcut} the identity, or, when the
 * block changes the stride or the width, a projection conv 1x1 (stride s) - norm. Parameters are named as
 * torchvision names them: {@code conv1, bn1, conv2, bn2, downsample.0, downsample.1} (the norm's names whatever the
 * norm is), so {@link #main} declares first and {@code downsample} last.
 *
 * <p>Backward runs the shortcut first (its parameters come last in the layout), then the main path; the two input
 * gradients add up.
 */
public final class BasicBlock implements Module {
    private final Module main;
    private final Module shortcut;   // null: identity
    private final Act act;
    private long mainOffset;
    private long shortcutOffset;
    private ActivationRef zSlot;
    private ActivationRef dzSlot;
    private ActivationRef dxSlot;
    private Backend be;
    private Tensor z;      // [maxRows, ...out] pre-activation sum
    private Tensor dz;     // [maxRows, ...out] its gradient, copied for the shortcut
    private Tensor dx;     // [maxRows, ...in] identity shortcut: input gradient
    private int[] in;

    /**
     * A block of {@code out} channels over stride {@code stride}; {@code norm} makes each normalisation layer (a fresh
     * module per call), {@code f} the activation; {@code project}: whether the shortcut is a projection (needed when
     * the stride is not 1 or the width changes; {@link #declare} checks).
     */
    public BasicBlock(int out, int stride, boolean project, java.util.function.Supplier<Module> norm,
                      dev.quadrant.device.Activation f) {
        boolean bias = norm == null;
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of("conv1", "bn1", "act1", "conv2", "bn2"));
        java.util.List<Module> layers = new java.util.ArrayList<>();
        layers.add(new Conv2d(out, Images.window("Conv2d", 3, stride, 1), bias));
        layers.add(normLayer(norm));
        layers.add(new Act(f));
        layers.add(new Conv2d(out, Images.window("Conv2d", 3, 1, 1), bias));
        layers.add(normLayer(norm));
        this.main = new Sequential(names, layers);
        this.shortcut = project
                ? new Sequential(java.util.List.of("0", "1"), java.util.List.of(
                        new Conv2d(out, Images.window("Conv2d", 1, stride, 0), bias), normLayer(norm)))
                : null;
        this.act = new Act(f);
    }

    @Override
    public int[] declare(Declare d, int[] inShape) {
        Images.requireImage(d, "BasicBlock", inShape);
        in = inShape.clone();
        mainOffset = d.nextParameterOffset();
        int[] out = main.declare(d, inShape);
        shortcutOffset = d.nextParameterOffset();
        if (shortcut != null) {
            int[] s = shortcut.declare(d.child("downsample"), inShape);
            if (!java.util.Arrays.equals(s, out)) {
                throw new IllegalStateException(d.name() + ": shortcut gives " + Shapes.show(s) + ", main " + Shapes.show(out));
            }
        } else if (!java.util.Arrays.equals(out, inShape)) {
            throw new dev.quadrant.device.UserInputException(d.name() + ": a block from " + Shapes.show(inShape) + " to "
                    + Shapes.show(out) + " needs a projection shortcut");
        }
        zSlot = d.saved("z", DType.FLOAT32, out);
        dzSlot = d.gradient("dz", DType.FLOAT32, out);
        dxSlot = d.gradient("dx", DType.FLOAT32, inShape);
        act.declare(d.child("act2"), out);
        return out;
    }

    @Override
    public void initialize(Init init) {
        main.initialize(init.child());
        if (shortcut != null) {
            shortcut.initialize(init.child());
        }
    }

    @Override
    public void bind(Bind b) {
        be = b.backend();
        main.bind(b);
        if (shortcut != null) {
            shortcut.bind(b);
        }
        act.bind(b);
        z = b.tensor(zSlot);
        dz = b.tensor(dzSlot);
        dx = b.tensor(dxSlot);
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        int rows = x.dim(0);
        Tensor h = main.forward(x, ctx);
        Tensor zb = z.rows(0, rows);
        be.copy(h, zb);
        be.axpy(1f, shortcut == null ? x : shortcut.forward(x, ctx), zb);
        return act.forward(zb, ctx);
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        int rows = dy.dim(0);
        Tensor g = act.backward(dy, ctx.needing(true));    // dL/dz, over dy
        Tensor dzb = dz.rows(0, rows);
        be.copy(g, dzb);                                     // the shortcut's copy (main may overwrite g)
        Tensor ds;
        if (shortcut != null) {
            ds = shortcut.backward(dzb, ctx);
            ctx.ready().accept(shortcutOffset);
        } else {
            ds = dzb;
        }
        Tensor dm = main.backward(g, ctx);
        ctx.ready().accept(mainOffset);
        if (!ctx.needInputGradient()) {
            return null;
        }
        Tensor dxb = dx.rows(0, rows);
        be.copy(dm, dxb);
        be.axpy(1f, ds, dxb);
        return dxb;
    }

    @Override
    public String describe() {
        return "BasicBlock(" + (in == null ? "?" : Shapes.show(in)) + ", " + (shortcut == null ? "identity" : "projection")
                + " shortcut,\n  " + main.describe().replace("\n", "\n  ")
                + (shortcut == null ? "" : "\n  downsample " + shortcut.describe().replace("\n", "\n  ")) + "\n)";
    }

    /** A fresh norm layer from {@code norm}, or an {@link Identity} in its place when there is none. */
    static Module normLayer(java.util.function.Supplier<Module> norm) {
        return norm == null ? new Identity() : norm.get();
    }

    /** The layer a block without normalisation has in the norm's place (keeps the parameter names aligned). */
    static final class Identity implements Module {
        @Override
        public int[] declare(Declare d, int[] inShape) { return inShape.clone(); }

        @Override
        public void bind(Bind b) { }

        @Override
        public Tensor forward(Tensor x, ForwardContext ctx) { return x; }

        @Override
        public Tensor backward(Tensor dy, Backward ctx) { return ctx.needInputGradient() ? dy : null; }

        @Override
        public String describe() { return "Identity"; }
    }
}
