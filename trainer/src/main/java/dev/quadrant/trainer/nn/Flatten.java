package dev.quadrant.trainer.nn;

import dev.quadrant.device.Tensor;

/** {@code [rows, d1, d2, ...]} seen as {@code [rows, d1 * d2 * ...]}: a view, no copy. */
public final class Flatten implements Module {
    private int[] in;

    @Override
    public int[] declare(Declare d, int[] inShape) {
        in = inShape.clone();
        return new int[] {Shapes.size(inShape)};
    }

    @Override
    public void bind(Bind b) {}

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) { return x.reshape(x.dim(0), Shapes.size(in)); }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        return ctx.needInputGradient() ? dy.reshape(Shapes.batch(dy.dim(0), in)) : null;
    }

    @Override
    public String describe() { return "Flatten(" + Shapes.show(in) + ")"; }
}
