package dev.quadrant.trainer.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;

/**
 * {@code mlp:H1-H2-...}: a multilayer perceptron with these hidden sizes ({@code mlp:} alone or {@code mlp:0} is a
 * linear model). Input and output sizes come from the data (an input of any shape is flattened first); each hidden
 * layer is Linear, the {@code --activation}, and Dropout when {@code --dropout} is above 0. Parameters are named
 * {@code layers.<i>.weight|bias} by position in that list, as PyTorch's {@code nn.Sequential} names them. Immutable.
 */
public record MlpSpec(int[] hidden) implements ModelSpec {

    public MlpSpec {
        hidden = hidden.clone();
    }

    @Override
    public int[] hidden() { return hidden.clone(); }

    /** Parses what follows {@code mlp:}. */
    static MlpSpec parseBody(String sizes) {
        if (sizes.isEmpty() || sizes.equals("0")) {
            return new MlpSpec(new int[0]);
        }
        String[] parts = sizes.split("-", -1);
        int[] h = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                h[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                h[i] = -1;
            }
            if (h[i] <= 0 || h[i] > 1 << 20) {
                String seen = parts[i].isBlank() ? (i + 1 < parts.length && !parts[i + 1].isBlank()
                        ? "an empty size before '" + dev.quadrant.trainer.io.Messages.escape(parts[i + 1])
                                + "' (a negative size? sizes are separated by '-', so none can be negative)"
                        : "an empty size (two '-' in a row, or one at an end?)")
                        : "hidden size '" + dev.quadrant.trainer.io.Messages.escape(parts[i]) + "'";
                throw new UserInputException("--model 'mlp:" + dev.quadrant.trainer.io.Messages.escape(sizes)
                        + "': " + seen + ": each hidden size must be an integer in 1.." + (1 << 20));
            }
        }
        return new MlpSpec(h);
    }

    @Override
    public Model build(Inputs in) {
        if (in.inputDtype() != DType.FLOAT32) {
            throw new UserInputException("--model " + this + " takes FLOAT32 features; the data's input is "
                    + in.inputDtype() + " " + Arrays.toString(in.inputShape()) + " (token ids need --model gpt:...)");
        }
        List<Module> layers = new ArrayList<>();
        for (int h : hidden) {
            layers.add(new Linear(h));
            layers.add(new Act(in.activation()));
            if (in.dropout() > 0) {
                layers.add(new Dropout(in.dropout()));
            }
        }
        layers.add(new Linear(in.outputs()));
        Module root = new Sequential(layers);
        int[] shape = in.inputShape();
        if (shape.length != 1) {   // images and other shaped inputs: flatten first, as a view
            root = new Flattened(root);
        }
        return new Model(root, shape, DType.FLOAT32);
    }

    /**
     * {@code body} on its input seen flat: {@code [rows, d1, d2, ...]} as {@code [rows, d1 * d2 * ...]}, a view. Unlike
     * a {@link Flatten} child of the {@link Sequential}, it takes no place among the children, so the layers keep
     * their names ({@code layers.0.weight}), their initial values (each child's generator is the next split) and
     * everything they compute: an MLP on {@code x F32[28, 28, 1]} is the MLP on {@code x F32[784]}, and parameters
     * saved by either load into the other.
     */
    private static final class Flattened implements Module {
        private final Module body;
        private int[] in;

        Flattened(Module body) {
            this.body = body;
        }

        @Override
        public int[] declare(Declare d, int[] inShape) {
            in = inShape.clone();
            return body.declare(d, new int[] {Shapes.size(inShape)});
        }

        @Override
        public void initialize(Init init) { body.initialize(init); }

        @Override
        public void bind(Bind b) { body.bind(b); }

        @Override
        public dev.quadrant.device.Tensor forward(dev.quadrant.device.Tensor x, ForwardContext ctx) {
            return body.forward(x.reshape(x.dim(0), Shapes.size(in)), ctx);
        }

        @Override
        public dev.quadrant.device.Tensor backward(dev.quadrant.device.Tensor dy, Backward ctx) {
            dev.quadrant.device.Tensor dx = body.backward(dy, ctx);
            return dx == null ? null : dx.reshape(Shapes.batch(dx.dim(0), in));
        }

        @Override
        public String describe() { return "Flatten(" + Shapes.show(in) + ") then " + body.describe(); }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("mlp:");
        for (int i = 0; i < hidden.length; i++) {
            sb.append(i == 0 ? "" : "-").append(hidden[i]);
        }
        return hidden.length == 0 ? "mlp:0" : sb.toString();
    }

    @Override
    public boolean equals(Object o) { return o instanceof MlpSpec m && Arrays.equals(m.hidden, hidden); }

    @Override
    public int hashCode() { return Arrays.hashCode(hidden); }
}
