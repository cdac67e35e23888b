package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.Tensor;

/**
 * Modules applied in order, each under a name of its own: {@code layers.0}, {@code layers.1}, ... by default (as
 * PyTorch's {@code nn.Sequential} inside an attribute {@code layers}), or names given explicitly; an empty name puts
 * the child's parameters directly under this module's name (a pre-LN block's two residuals). Backward runs the
 * children in reverse and reports after each one that the gradients from its first parameter on are final.
 *
 * <pre>{@code
 * Module mlp = new Sequential(List.of(new Linear(256), new Act(Activation.RELU), new Linear(10)));
 * Module named = Sequential.named("transformer", List.of("wte", "drop"), List.of(embedding, dropout));
 * }</pre>
 */
public final class Sequential implements Module {
    private final List<String> names;
    private final List<Module> children;
    private long[] firstOffset;   // flat offset of each child's first own parameter (or where it would start)
    private boolean[] hasParams;

    /** Children named {@code layers.0}, {@code layers.1}, ... */
    public Sequential(List<? extends Module> children) {
        this(indexNames("layers", children.size()), children);
    }

    /** Children with the given names (same count). */
    public Sequential(List<String> names, List<? extends Module> children) {
        if (names.size() != children.size()) {
            throw new IllegalArgumentException(names.size() + " names for " + children.size() + " modules");
        }
        this.names = List.copyOf(names);
        this.children = List.copyOf(children);
    }

    /** {@code prefix.0}, {@code prefix.1}, ... */
    public static List<String> indexNames(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(prefix + "." + i);
        }
        return out;
    }

    public List<Module> children() { return children; }

    @Override
    public int[] declare(Declare d, int[] in) {
        firstOffset = new long[children.size()];
        hasParams = new boolean[children.size()];
        int[] shape = in;
        for (int i = 0; i < children.size(); i++) {
            firstOffset[i] = d.nextParameterOffset();
            String name = names.get(i);
            shape = children.get(i).declare(name.isEmpty() ? d : d.child(name), shape);
            hasParams[i] = d.nextParameterOffset() > firstOffset[i];
        }
        return shape;
    }

    @Override
    public void initialize(Init init) {
        for (Module m : children) {
            m.initialize(init.child());
        }
    }

    @Override
    public void bind(Bind b) {
        for (Module m : children) {
            m.bind(b);
        }
    }

    @Override
    public Tensor forward(Tensor x, ForwardContext ctx) {
        Tensor h = x;
        for (Module m : children) {
            h = m.forward(h, ctx);
        }
        return h;
    }

    @Override
    public Tensor backward(Tensor dy, Backward ctx) {
        int first = 0;                         // children before the first with parameters need no input gradient
        while (first < children.size() && !hasParams[first] && !ctx.needInputGradient()) {
            first++;
        }
        Tensor d = dy;
        for (int i = children.size() - 1; i >= first; i--) {
            boolean need = i > first || ctx.needInputGradient();
            d = children.get(i).backward(d, ctx.needing(need));
            if (hasParams[i]) {
                ctx.ready().accept(firstOffset[i]);
            }
        }
        return ctx.needInputGradient() ? d : null;
    }

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < children.size(); i++) {
            String inner = children.get(i).describe().replace("\n", "\n  ");
            String name = names.get(i);
            sb.append(i == 0 ? "" : "\n").append(name.isEmpty() ? "" : name + ": ").append(inner);
        }
        return sb.toString();
    }
}
